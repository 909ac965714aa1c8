package geoip

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"sync"
)

// EmbeddedName names the embedded database in errors and metrics.
const EmbeddedName = "embedded"

// embeddedGzip is the ip-location-db geo-whois-asn-country database
// (CC BY 4.0, data by the Number Resource Organization), gzip-compressed.
// `make geoip-update` refreshes it.
//
//go:embed data/geo-whois-asn-country.mmdb.gz
var embeddedGzip []byte

// Embedded returns the embedded country database, decompressed on first use
// and shared afterwards. It is part of the binary, so it is not verified at
// run time (a full verification costs more than the decompression); the
// package's tests verify it.
var Embedded = sync.OnceValues(func() (*Database, error) {
	data, err := embeddedData()
	if err != nil {
		return nil, err
	}
	return openBytes(EmbeddedName, data, false)
})

func embeddedData() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(embeddedGzip))
	if err != nil {
		return nil, fmt.Errorf("geoip: embedded database: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("geoip: embedded database: %w", err)
	}
	return data, nil
}
