package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.tsv")
	body := "# a comment\n\nmobile\tios\tUA one\n" +
		"tablet\tandroid\tUA two\t?0\t\"Android\"\t\"Tablet\"\t\"SM-X200\"\n"
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := Read(name)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{File: name, Line: 3, Type: "mobile", OS: "ios", UA: "UA one"},
		{File: name, Line: 4, Type: "tablet", OS: "android", UA: "UA two", Mobile: "?0", Platform: `"Android"`, FormFactors: `"Tablet"`, Model: `"SM-X200"`},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	if got := rows[1].Where(); got != name+":4" {
		t.Errorf("Where = %q", got)
	}
}

func TestReadBadRow(t *testing.T) {
	name := filepath.Join(t.TempDir(), "bad.tsv")
	if err := os.WriteFile(name, []byte("mobile\tios\tok\nmobile only two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(name)
	if err == nil || !strings.Contains(err.Error(), "bad.tsv:2") {
		t.Fatalf("err = %v, want one naming bad.tsv:2", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.tsv")); err == nil {
		t.Fatal("a missing file read without an error")
	}
}
