//go:build unix

package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// openKeepAlive opens the keep-alive file for ReadKeepAlive: no symbolic
// link followed (O_NOFOLLOW), no blocking on a FIFO (O_NONBLOCK), and the
// checks on the open file, not on its name, so that nothing can be swapped
// in between.
func openKeepAlive(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, errors.New("is a symbolic link: refused")
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	if err := checkKeepAlive(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func checkKeepAlive(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s): refused", fi.Mode().Type())
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if st.Nlink != 1 {
		return fmt.Errorf("has %d hard links: refused", st.Nlink)
	}
	if int(st.Uid) == os.Geteuid() {
		return nil
	}
	dir, err := os.Lstat(filepath.Dir(path))
	if err != nil {
		return err
	}
	if dir.Mode()&os.ModeSticky != 0 {
		return nil
	}
	if ds, ok := dir.Sys().(*syscall.Stat_t); ok && ds.Uid == st.Uid {
		return nil
	}
	return fmt.Errorf("owned by uid %d, neither this process's nor its directory's owner: refused", st.Uid)
}
