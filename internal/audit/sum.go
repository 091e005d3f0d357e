package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// sumVersion starts the hashed text, so that the encoding can change
// without old entries failing to verify.
const sumVersion = "threshold-audit-v1\n"

// Sum returns the hex SHA-256 of r's canonical form: sumVersion, then
// each of seq, at (RFC 3339 with nanoseconds, UTC), actor ID, actor,
// action, object, remote, details (the JSON text as stored) and the
// previous hash, as its length in bytes, a colon, the bytes and a
// newline. Length prefixes make the form unambiguous whatever the fields
// hold; anyone can recompute it without Threshold's code.
func Sum(r Record) string {
	h := sha256.New()
	h.Write([]byte(sumVersion))
	for _, f := range []string{
		strconv.FormatInt(r.Seq, 10),
		r.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(r.ActorID, 10),
		r.Actor,
		r.Action,
		r.Object,
		r.Remote,
		string(r.Details),
		r.PrevHash,
	} {
		h.Write([]byte(strconv.Itoa(len(f)) + ":" + f + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
