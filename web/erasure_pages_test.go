package web

import (
	"testing"

	"strongroom/erasure"
)

func TestFilterPeople(t *testing.T) {
	people := []erasure.Person{
		{Subject: erasure.Subject{Kind: erasure.KindContact, ID: 1}, Name: "Ana Müller", Detail: "person"},
		{Subject: erasure.Subject{Kind: erasure.KindUser, ID: 2}, Name: "Ben Ode", Detail: "ben.ode (disabled)"},
		{Subject: erasure.Subject{Kind: erasure.KindContact, ID: 3}, Name: "Odeon Films Ltd", Detail: "organisation"},
	}
	for _, c := range []struct {
		q, kind string
		want    []int64
	}{
		{"", "", []int64{1, 2, 3}},
		{"ode", "", []int64{2, 3}},
		{"ODE", "user", []int64{2}},
		{"müller", "", []int64{1}},
		{"", "contact", []int64{1, 3}},
		{"nobody", "", nil},
	} {
		var got []int64
		for _, p := range filterPeople(people, c.q, c.kind) {
			got = append(got, p.Subject.ID)
		}
		if len(got) != len(c.want) {
			t.Errorf("q %q kind %q: %v, want %v", c.q, c.kind, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("q %q kind %q: %v, want %v", c.q, c.kind, got, c.want)
			}
		}
	}
}
