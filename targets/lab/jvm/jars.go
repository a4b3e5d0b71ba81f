// Package jvm runs real Apache Kafka (KRaft) and Apache Cassandra clusters
// from their Maven Central jars, one JVM per node on its own loopback
// address, for gameday's full lab and its real-cluster tests.
package jvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gameday-dev/gameday/internal/xdg"
)

// Versions of the real systems the full lab runs. Kafka 4.1 is KRaft-only
// and needs Java 17; Cassandra 5.0 is the first line with Java 17 options.
const (
	KafkaVersion     = "4.1.2"
	CassandraVersion = "5.0.6"
	log4jVersion     = "2.24.3"
)

// artifact is one Maven dependency of a product's throw-away pom.
type artifact struct{ group, name, version string }

var products = map[string][]artifact{
	"kafka": {
		{"org.apache.kafka", "kafka_2.13", KafkaVersion},
		// Kafka 4.x logs through slf4j 1.7; without a binding it prints
		// nothing, and readiness is read from its log.
		{"org.apache.logging.log4j", "log4j-slf4j-impl", log4jVersion},
		{"org.apache.logging.log4j", "log4j-core", log4jVersion},
	},
	"cassandra": {
		{"org.apache.cassandra", "cassandra-all", CassandraVersion},
	},
}

// CacheDir is where resolved jars are kept between runs:
// $XDG_CACHE_HOME/gameday/jars, or ~/.cache/gameday/jars when it is unset
// or relative.
func CacheDir() (string, error) {
	dir, err := xdg.Dir("XDG_CACHE_HOME", ".cache", "jars")
	if err != nil {
		return "", fmt.Errorf("cannot find a cache directory: %w", err)
	}
	return dir, nil
}

// Require checks that java and mvn are installed, naming the Debian
// packages to install when they are not.
func Require() error {
	var missing []string
	if _, err := exec.LookPath("java"); err != nil {
		missing = append(missing, "java (Debian package openjdk-17-jre-headless)")
	}
	if _, err := exec.LookPath("mvn"); err != nil {
		missing = append(missing, "mvn (Debian package maven)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("the full lab needs %s; install with: apt-get install openjdk-17-jre-headless maven", strings.Join(missing, " and "))
	}
	return nil
}

// Jars resolves product ("kafka" or "cassandra") with Maven into the cache
// once and returns the folder holding its jars. Each product has its own
// folder: their slf4j bindings, netty and jackson versions differ.
func Jars(ctx context.Context, product string) (string, error) {
	arts, ok := products[product]
	if !ok {
		return "", fmt.Errorf("unknown product %q", product)
	}
	if err := Require(); err != nil {
		return "", err
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, product+"-"+arts[0].version)
	lib := filepath.Join(dir, "lib")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return lib, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var deps strings.Builder
	for _, a := range arts {
		fmt.Fprintf(&deps, "    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n", a.group, a.name, a.version)
	}
	pom := fmt.Sprintf(`<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.gameday.lab</groupId><artifactId>%s-jars</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
%s  </dependencies>
</project>
`, product, deps.String())
	if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644); err != nil {
		return "", err
	}
	os.RemoveAll(lib)
	cmd := exec.CommandContext(ctx, "mvn", "-B", "-q",
		"org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
		"-DincludeScope=runtime", "-DoutputDirectory=lib")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("resolving %s %s with Maven failed: %w\n%s", product, arts[0].version, err, lastLines(out.String(), 15))
	}
	if err := os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644); err != nil {
		return "", err
	}
	return lib, nil
}

// jarNamed finds the jar in lib whose file name starts with prefix.
func jarNamed(lib, prefix string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(lib, prefix+"*.jar"))
	if len(m) == 0 {
		return "", errors.New("no " + prefix + " jar in " + lib)
	}
	return m[0], nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
