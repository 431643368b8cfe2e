package identity

import (
	"reflect"
	"testing"
)

// TestResolvedHasNoZeroField: Resolved fills every numeric setting, so a
// fingerprint of it changes when a default does (switches default to off;
// Workers changes speed, not results).
func TestResolvedHasNoZeroField(t *testing.T) {
	rv := reflect.ValueOf(Config{}.Resolved())
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if f.IsExported() && f.Type.Kind() != reflect.Bool && f.Name != "Workers" && rv.Field(i).IsZero() {
			t.Errorf("Config.%s has no default", f.Name)
		}
	}
	if got := (Config{Threshold: 0.7}).Resolved().Threshold; got != 0.7 {
		t.Errorf("a set field was replaced: %v", got)
	}
}
