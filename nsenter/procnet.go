package nsenter

import (
	"errors"
	"os"
	"path/filepath"
)

// OpenProcNet opens files of /proc/net as seen from h's namespace (the current
// one when h is None), reading them through procRoot/thread-self/net. A name
// that does not exist gives a nil file and no error, so callers can fall back.
func OpenProcNet(h Handle, procRoot string, names ...string) ([]*os.File, error) {
	files := make([]*os.File, len(names))
	open := func() error {
		for i, n := range names {
			f, err := os.Open(filepath.Join(procRoot, "thread-self", "net", n))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				for _, f := range files {
					if f != nil {
						f.Close()
					}
				}
				return err
			}
			files[i] = f
		}
		return nil
	}
	if !h.IsOpen() {
		return files, open()
	}
	return files, Do(h, open)
}
