package runtime

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kubectl-netstat/kubectl-netstat/internal/safefile"
)

// boltTimeout bounds the wait for a database's lock: its owner holds it only
// while writing.
const boltTimeout = time.Second

// viewBolt runs fn in a read-only transaction of the bbolt database at path,
// opened non-blocking (regular files only) with a bounded lock wait. bbolt
// panics on some corrupt pages, and a database written by another user must
// not crash the scan, so a panic becomes an ErrParse error.
func viewBolt(path string, fn func(*bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt database: %v: %w", r, ErrParse)
		}
	}()
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: boltTimeout,
		OpenFile: func(p string, _ int, _ os.FileMode) (*os.File, error) { return safefile.Open(p) }})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(fn)
}

// privateCopy copies the file at path (at most max bytes, read non-blocking)
// to a temporary file only this process writes, for databases that are
// flocked by their owner or that a user could truncate under bbolt's mmap.
// The caller removes the copy.
func privateCopy(path string, max int64) (string, error) {
	b, err := safefile.ReadFile(path, max)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "kubectl-netstat-db-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("copy of %s: %w", path, err)
	}
	return f.Name(), nil
}
