package nshost

import "path/filepath"

// startRedis starts redis-server on h's address, port 6379, with no
// persistence and its files in the host's directory.
func (b *Bed) startRedis(h *Host) error {
	h.RedisAddr = h.Addr + ":6379"
	var err error
	h.redis, err = start(h.NS, filepath.Join(h.dir, "redis.log"), "/usr/bin/redis-server",
		"--bind", h.Addr, "--port", "6379", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--daemonize", "no", "--dir", h.dir)
	return err
}
