package sitesadapter

import (
	"strings"
	"testing"
)

// TestStoreErrorHidesThePassword: a bad throttle store URL is reported with
// its line, and without its password.
func TestStoreErrorHidesThePassword(t *testing.T) {
	catalog := "sites:\n  shop:\n    hosts: [shop.example.com]\n    respond: {body: ok}\n    throttle: {rate: 10r/s, store: \"mysql://app:s3cretpw@db:3306/0\"}\n"
	_, _, err := Adapter{}.Adapt([]byte(catalog), nil)
	if err == nil {
		t.Fatal("a mysql:// store was accepted")
	}
	if strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "line 5") {
		t.Fatalf("error %q: want line 5 and no password", err)
	}
}

// TestStoreErrorsHidePasswords: throttle and waiting-room stores share one
// URL check; a bad URL is reported without its password however the
// password is written (user:password@, :password@, or a lone password@).
func TestStoreErrorsHidePasswords(t *testing.T) {
	for _, store := range []string{
		"redis://app:s3cretpw@db:notaport/0",
		"redis://:s3cretpw@db:notaport/0",
		"redis://s3cretpw@db:notaport/0",
		"redis-cluster://s3cretpw@10.0.0.1",
		"mysql://app:s3cretpw@db:3306/0",
	} {
		for _, feature := range []string{
			"throttle: {rate: 10r/s, store: \"" + store + "\"}",
			"waiting_room: {active_users: 10, secret: 0123456789abcdef0123456789abcdef, store: \"" + store + "\"}",
		} {
			catalog := "sites:\n  shop:\n    hosts: [shop.example.com]\n    respond: {body: ok}\n    " + feature + "\n"
			_, _, err := Adapter{}.Adapt([]byte(catalog), nil)
			if err == nil {
				t.Errorf("%s: accepted", feature)
				continue
			}
			if strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "store") {
				t.Errorf("%s: error %q: want the store named, without its password", feature, err)
			}
		}
	}
}
