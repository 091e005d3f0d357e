package forecast

import "fmt"

// WriteHTMLFile writes an HTML report of a monthly backtest to path.
func WriteHTMLFile(path string, res *MonthlyResult) error {
	return fmt.Errorf("html report: not yet")
}
