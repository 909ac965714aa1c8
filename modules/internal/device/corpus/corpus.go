// Package corpus reads the device classifier's labelled User-Agent files
// (modules/internal/device/testdata/*.tsv), for the tests that measure the
// classifier and the ones that send the same rows through a gateway.
//
// A row is type<TAB>os<TAB>User-Agent, optionally followed by the client
// hints that came with it: Sec-CH-UA-Mobile, Sec-CH-UA-Platform,
// Sec-CH-UA-Form-Factors and Sec-CH-UA-Model, as sent. Empty lines and
// lines starting with # are comments. The package checks the shape of a
// row, not its labels: it imports nothing of the classifier, whose own
// tests use it.
package corpus

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Row is one labelled User-Agent.
type Row struct {
	File string // the file's name as given to Read
	Line int
	Type string // the device class it is labelled with
	OS   string // the OS family, or * when not labelled
	UA   string

	// The client hint header values, empty when not sent.
	Mobile, Platform, FormFactors, Model string
}

// Where is the row's file and line, for messages.
func (r Row) Where() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// Read returns the rows of the named files, in order. A row that does not
// have three to seven columns is an error naming its file and line.
func Read(names ...string) ([]Row, error) {
	var rows []Row
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			p := strings.Split(line, "\t")
			if len(p) < 3 || len(p) > 7 {
				f.Close()
				return nil, fmt.Errorf("%s:%d: want type<TAB>os<TAB>ua[<TAB>mobile<TAB>platform<TAB>form-factors<TAB>model], got %d columns", name, n, len(p))
			}
			p = append(p, "", "", "", "")
			rows = append(rows, Row{File: name, Line: n, Type: p[0], OS: p[1], UA: p[2],
				Mobile: p[3], Platform: p[4], FormFactors: p[5], Model: p[6]})
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return rows, nil
}
