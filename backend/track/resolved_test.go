package track

import (
	"reflect"
	"testing"
)

// TestResolvedHasNoZeroField: Resolved fills every setting, so a
// fingerprint of it changes when a default does (a zero Config would
// hash the same whatever the defaults are).
func TestResolvedHasNoZeroField(t *testing.T) {
	for _, v := range []any{Config{}.Resolved(), CutDetector{}.Resolved()} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			f := rv.Type().Field(i)
			if f.IsExported() && rv.Field(i).IsZero() {
				t.Errorf("%s.%s has no default", rv.Type().Name(), f.Name)
			}
		}
	}
	if got := (Config{HighScore: 0.9}).Resolved().HighScore; got != 0.9 {
		t.Errorf("a set field was replaced: %v", got)
	}
}
