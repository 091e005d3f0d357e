package rules

import (
	_ "embed"
	"fmt"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the default rules file, comments and
// all, for showing and as a starting point for editing.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns the default rules, parsed from the embedded default.yaml.
// A test keeps that file valid, so Default panics only on a broken build.
func Default() *File {
	f, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic(fmt.Sprintf("rules: the embedded default rules are invalid: %v", err))
	}
	return f
}
