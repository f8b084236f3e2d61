package rules

import (
	"encoding/json"
	"testing"
)

func TestOps(t *testing.T) {
	tests := []struct {
		rule, data string
		want       any
	}{
		{`{"filled":[{"var":"x"}]}`, `{"x":"a"}`, true},
		{`{"filled":[{"var":"x"}]}`, `{"x":""}`, false},
		{`{"filled":[{"var":"x"}]}`, `{}`, false},
		{`{"filled":[{"var":"x"}]}`, `{"x":false}`, true},
		{`{"filled":[{"var":"x"}]}`, `{"x":{"a":""}}`, false},
		{`{"filled":[{"var":"x"}]}`, `{"x":{"a":{"b":"c"}}}`, true},
		{`{"filled":[{"var":"x"}]}`, `{"x":[]}`, false},
		{`{"date":[2024,2,29]}`, `{}`, "2024-02-29"},
		{`{"date":[2023,2,29]}`, `{}`, nil},
		{`{"date":[2023,null,null]}`, `{}`, "2023-01-01"},
		{`{"date":["1990","7",null]}`, `{}`, "1990-07-01"},
		{`{"date":[null,7,1]}`, `{}`, nil},
		{`{"valid_date":[2019,2,30]}`, `{}`, false},
		{`{"valid_date":[1968,11,31]}`, `{}`, false},
		{`{"valid_date":[2024,2,29]}`, `{}`, true},
		{`{"valid_date":["2024","12","31"]}`, `{}`, true},
		{`{"valid_date":[2024,13,1]}`, `{}`, false},
		{`{"days_between":["2026-01-08","2026-01-15"]}`, `{}`, 7.0},
		{`{"days_between":["2026-01-15","2026-01-08"]}`, `{}`, -7.0},
		{`{"days_between":[null,"2026-01-08"]}`, `{}`, nil},
		{`{"years_between":["2008-01-15","2026-01-15"]}`, `{}`, 18.0},
		{`{"years_between":["2008-01-16","2026-01-15"]}`, `{}`, 17.0},
		{`{"years_between":["2000-02-29","2026-02-28"]}`, `{}`, 25.0},
		{`{"distinct":[["01","02"]]}`, `{}`, true},
		{`{"distinct":[["01","02","01"]]}`, `{}`, false},
		{`{"distinct":[["","",null]]}`, `{}`, true},
	}
	for _, tt := range tests {
		var r any
		var d map[string]any
		if err := json.Unmarshal([]byte(tt.rule), &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tt.data), &d); err != nil {
			t.Fatal(err)
		}
		if got := apply(r, d); got != tt.want {
			t.Errorf("%s on %s: got %#v, want %#v", tt.rule, tt.data, got, tt.want)
		}
	}
}
