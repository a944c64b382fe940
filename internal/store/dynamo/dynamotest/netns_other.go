//go:build !linux

package dynamotest

import (
	"errors"
	"syscall"
)

var errLinuxOnly = errors.New("network namespaces are Linux only")

func serverAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// supervisorAttr: outside Linux there is no network namespace to keep
// DynamoDB Local to loopback, so it does not start there (the tests that
// need it skip, or fail under CI).
func supervisorAttr(netns bool) (*syscall.SysProcAttr, error) {
	if netns {
		return nil, errLinuxOnly
	}
	return &syscall.SysProcAttr{}, nil
}

func loopbackUp() error { return errLinuxOnly }
