package jvm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// cgroup2Root finds the cgroup v2 hierarchy: /sys/fs/cgroup itself on a
// unified system, /sys/fs/cgroup/unified on a hybrid one.
func cgroup2Root() (string, error) {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st syscall.Statfs_t
		if syscall.Statfs(p, &st) == nil && st.Type == 0x63677270 { // CGROUP2_SUPER_MAGIC
			return p, nil
		}
	}
	return "", errors.New("no cgroup v2 hierarchy mounted")
}

// joinCgroup puts pid into the cgroup v2 group path (relative to the
// root), creating it. The firewall matches a node's outgoing packets by
// this group: a JVM connects out from 127.0.0.1, not from its own address,
// so an address rule alone would cut only what it is sent.
func joinCgroup(path string, pid int) error {
	root, err := cgroup2Root()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("move %d into cgroup %s: %w", pid, dir, err)
	}
	return nil
}

// removeCgroup removes the group path and its ancestors while empty.
func removeCgroup(path string) {
	root, err := cgroup2Root()
	if err != nil {
		return
	}
	for ; path != "" && path != "." && path != "/"; path = filepath.Dir(path) {
		if os.Remove(filepath.Join(root, path)) != nil {
			return
		}
	}
}
