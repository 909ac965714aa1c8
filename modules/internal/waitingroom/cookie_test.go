package waitingroom

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestCookieRoundTrip(t *testing.T) {
	s := NewSigner("tickets", [][]byte{[]byte("secret-one-0123456789")})
	for _, c := range []Cookie{
		{Admitted: true, SID: NewSID(), Ticket: 0, Issued: 1_800_000_000_000, Expiry: 1_800_000_300_000},
		{SID: NewSID(), Ticket: 123456, Issued: 1, Expiry: 2},
	} {
		for _, sh := range []*Shown{nil, {FirstAhead: 40, Ahead: 12, Lo: 90, Hi: 150, Moved: 1_800_000_000_000}, &NoShown} {
			v := string(s.AppendValue(nil, c, sh))
			got, gotShown, err := s.Decode(v)
			if err != nil {
				t.Fatalf("Decode(%q): %v", v, err)
			}
			if got != c {
				t.Fatalf("Decode(%q) = %+v, want %+v", v, got, c)
			}
			want := NoShown
			if sh != nil {
				want = *sh
			}
			if gotShown != want {
				t.Fatalf("shown %+v, want %+v", gotShown, want)
			}
			if strings.ContainsAny(v, " \t\",;\\") {
				t.Fatalf("value %q has characters a cookie cannot hold", v)
			}
		}
	}
}

func TestCookieRejects(t *testing.T) {
	secret := []byte("secret-one-0123456789")
	s := NewSigner("tickets", [][]byte{secret})
	c := Cookie{Admitted: true, SID: NewSID(), Ticket: 7, Issued: 1000, Expiry: 2000}
	good := string(s.AppendValue(nil, c, nil))
	otherRoom := string(NewSigner("other", [][]byte{secret}).AppendValue(nil, c, nil))
	otherSecret := string(NewSigner("tickets", [][]byte{[]byte("another-secret-9876543210")}).AppendValue(nil, c, nil))
	tampered := strings.Replace(good, "1.a.", "1.q.", 1)
	longer := strings.Replace(good, ".2000.", ".2000000.", 1)
	for name, v := range map[string]string{
		"other room":          otherRoom,
		"other secret":        otherSecret,
		"state changed":       tampered,
		"expiry extended":     longer,
		"truncated signature": good[:len(good)-1],
		"empty":               "",
		"garbage":             "hello",
		"too long":            good + strings.Repeat("x", 300),
		"bad sid":             strings.Replace(good, c.SID, "short", 1),
		"version":             "2" + good[1:],
	} {
		if _, _, err := s.Decode(v); err == nil {
			t.Errorf("%s: %q accepted", name, v)
		}
	}
	if _, _, err := s.Decode(otherRoom); !errors.Is(err, ErrForged) {
		t.Errorf("other room: %v, want ErrForged", err)
	}
}

func TestCookieRotation(t *testing.T) {
	old, cur := []byte("old-secret-0123456789"), []byte("new-secret-0123456789")
	c := Cookie{SID: NewSID(), Ticket: 3, Issued: 10, Expiry: 20}
	issuedOld := string(NewSigner("r", [][]byte{old}).AppendValue(nil, c, nil))
	rotated := NewSigner("r", [][]byte{cur, old})
	if _, _, err := rotated.Decode(issuedOld); err != nil {
		t.Fatalf("a cookie signed with the old secret, during rotation: %v", err)
	}
	issuedNew := string(rotated.AppendValue(nil, c, nil))
	if _, _, err := NewSigner("r", [][]byte{cur}).Decode(issuedNew); err != nil {
		t.Fatalf("the rotated signer signs with the first secret: %v", err)
	}
	if _, _, err := NewSigner("r", [][]byte{old}).Decode(issuedNew); err == nil {
		t.Fatal("signed with the old secret, want the first")
	}
}

func TestCookieShownIsBounded(t *testing.T) {
	s := NewSigner("r", [][]byte{[]byte("secret-one-0123456789")})
	base := string(s.AppendValue(nil, Cookie{SID: NewSID(), Issued: 1, Expiry: 2}, nil))
	for _, extra := range []string{"1.2.3", "a.b.c.d.e", "1.2.3.4.5.6", "-5.1.1.1.1", "999999999999.1.1.1.1"} {
		_, sh, err := s.Decode(base + "~" + extra)
		if err != nil {
			t.Fatalf("%q: %v (the unsigned part never voids the cookie)", extra, err)
		}
		if sh != NoShown {
			t.Errorf("%q read as %+v", extra, sh)
		}
	}
}

func FuzzCookieDecode(f *testing.F) {
	s := NewSigner("tickets", [][]byte{[]byte("secret-one-0123456789"), []byte("secret-two-0123456789")})
	f.Add(string(s.AppendValue(nil, Cookie{Admitted: true, SID: NewSID(), Ticket: 5, Issued: 1, Expiry: 9}, nil)))
	f.Add(string(s.AppendValue(nil, Cookie{SID: NewSID(), Ticket: 5, Issued: 1, Expiry: 9}, &Shown{1, 2, 3, 4, 5})))
	f.Add("1.q.AAAAAAAAAAAAAAAAAAAAAA.1.2.3.")
	f.Add("~~~")
	f.Fuzz(func(t *testing.T, v string) {
		c, sh, err := s.Decode(v)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a value that decodes the same.
		again := string(s.AppendValue(nil, c, &sh))
		c2, sh2, err := s.Decode(again)
		if err != nil || c2 != c || sh2 != sh {
			t.Fatalf("%q decoded to %+v %+v; re-encoded %q gives %+v %+v %v", v, c, sh, again, c2, sh2, err)
		}
	})
}

func BenchmarkCookieDecode(b *testing.B) {
	s := NewSigner("tickets", [][]byte{[]byte("secret-one-0123456789")})
	v := string(s.AppendValue(nil, Cookie{SID: NewSID(), Ticket: 5, Issued: 1, Expiry: 9}, &Shown{1, 2, 3, 4, 5}))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Decode(v); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecodeSig(f *testing.F) {
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("_", 42) + "w")
	f.Add(strings.Repeat("-", 42) + "x")
	f.Fuzz(func(t *testing.T, s string) {
		var got [32]byte
		ok := decodeSig(&got, s)
		if strings.ContainsAny(s, "\r\n") {
			// encoding/base64 skips line breaks; a cookie has none.
			if ok {
				t.Fatalf("decodeSig(%q) accepted a line break", s)
			}
			return
		}
		want, err := base64.RawURLEncoding.Strict().DecodeString(s)
		stdOK := err == nil && len(want) == 32
		if ok != stdOK || (ok && !bytes.Equal(got[:], want)) {
			t.Fatalf("decodeSig(%q) = %x %v; encoding/base64: %x %v", s, got, ok, want, err)
		}
	})
}
