package dynamotest

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// serverAttr starts a server that dies with its supervisor.
func serverAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

// supervisorAttr starts a supervisor (which ends when its stdin closes,
// then cleans up) and, when netns, in a new network namespace: only its loopback, so DynamoDB
// Local, which listens on every interface, is reachable from nowhere but
// the bridge. Root (as in CI) makes the namespace directly; anyone else
// through a user namespace mapping them to its root.
func supervisorAttr(netns bool) (*syscall.SysProcAttr, error) {
	a := &syscall.SysProcAttr{}
	if !netns {
		return a, nil
	}
	a.Cloneflags = syscall.CLONE_NEWNET
	if uid := os.Getuid(); uid != 0 {
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	return a, nil
}

// loopbackUp brings the namespace's lo interface up.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
