package geoip

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Source is a database file that can be reloaded while lookups run. Lookups
// use the current Database through an atomic pointer and never wait on file
// I/O; Reload reads, verifies and swaps in a replaced file, and keeps the
// current database when the new file is bad.
type Source struct {
	path    string
	current atomic.Pointer[Database]

	mu      sync.Mutex // serializes Reload
	seen    fileStamp  // the file version last tried, good or bad
	statErr string     // why the file could not be found at the last try
}

type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	s := fileStamp{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = st.Ino
	}
	return s
}

// OpenFile opens and verifies the database at path.
func OpenFile(path string) (*Source, error) {
	s := &Source{path: path}
	db, stamp, err := readFile(path)
	if err != nil {
		return nil, err
	}
	s.current.Store(db)
	s.seen = stamp
	return s, nil
}

// NewStaticSource wraps an opened database (such as Embedded) in a Source
// whose Reload never changes it.
func NewStaticSource(db *Database) *Source {
	s := &Source{}
	s.current.Store(db)
	return s
}

func readFile(path string) (*Database, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("geoip: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("geoip: %w", err)
	}
	stamp := stampOf(fi)
	if fi.Size() == 0 {
		return nil, stamp, fmt.Errorf("geoip: %s: %w", path, ErrEmpty)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, stamp, fmt.Errorf("geoip: reading %s: %w", path, err)
	}
	db, err := OpenBytes(path, data)
	return db, stamp, err
}

// Path is the file the source reads; "" for a static source.
func (s *Source) Path() string { return s.path }

// Database is the database lookups use now.
func (s *Source) Database() *Database { return s.current.Load() }

// Lookup looks ip up in the current database.
func (s *Source) Lookup(ip netip.Addr) Record { return s.current.Load().Lookup(ip) }

// Reload reads the file again if it changed since the last attempt (size,
// modification time or inode: replacing it by rename counts). A file that
// fails to open or verify leaves the current database in place and is not
// tried again until it changes; a file that is gone is reported once, and
// read again when it is back. Reload reports whether a new database is in
// use.
func (s *Source) Reload() (bool, error) {
	if s.path == "" {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path)
	if err != nil {
		// A deleted (or unreadable) file is reported once, not at every
		// check: the current database stays, and the file is tried again
		// when it is back.
		if err.Error() == s.statErr {
			return false, nil
		}
		s.statErr = err.Error()
		s.seen = fileStamp{}
		return false, fmt.Errorf("geoip: %w", err)
	}
	s.statErr = ""
	if stampOf(fi) == s.seen {
		return false, nil
	}
	db, stamp, err := readFile(s.path)
	if stamp != (fileStamp{}) {
		s.seen = stamp
	}
	if err != nil {
		return false, err
	}
	s.current.Store(db)
	return true, nil
}
