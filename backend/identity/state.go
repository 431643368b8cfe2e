package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// CurationState summarises a curation log and a cast list: when it
// differs from what the last cluster run applied (identities_metrics.json's
// Applied), the identities do not reflect what the user said yet (cluster
// must run again). Only the operations' sequence numbers count: a log is
// append-only and an undo removes its newest operations.
func CurationState(ops []Op, refs []Reference) string {
	seqs := make([]int64, len(ops))
	for i, op := range ops {
		seqs[i] = op.Seq
	}
	h := sha256.New()
	for _, p := range []any{seqs, refs} {
		b, _ := json.Marshal(p)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// FacebankRefs returns a show's cast list as the references Name matches
// identities against.
func FacebankRefs(hs []Headshot) []Reference {
	refs := make([]Reference, len(hs))
	for i, h := range hs {
		refs[i] = h.Reference()
	}
	return refs
}
