// Command licences writes the Debian copyright stanzas (copyright-format
// 1.0) for what a castscope binary ships: every Go module linked into it
// (read from its build information, texts from the module cache), every npm
// package bundled into its user interface (read from the bundle's source
// maps, texts from frontend/node_modules) and the built-in face models
// (models/models.json and their licence files). A module or package whose
// licence text cannot be found is an error: the package must not ship
// without it.
//
// Usage: go run ./scripts/licences -bin BINARY -ort LICENSE -ort-version V SOURCEMAP...
package main

import (
	"debug/buildinfo"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"castscope/backend/modelpack"
	"castscope/models"
)

func main() {
	bin := flag.String("bin", "", "the castscope binary")
	ort := flag.String("ort", "", "ONNX Runtime's LICENSE file")
	ortVersion := flag.String("ort-version", "", "ONNX Runtime's version")
	flag.Parse()
	if *bin == "" || *ort == "" {
		fmt.Fprintln(os.Stderr, "usage: licences -bin BINARY -ort LICENSE [-ort-version V] SOURCEMAP...")
		os.Exit(2)
	}
	if err := run(*bin, *ort, *ortVersion, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "licences:", err)
		os.Exit(1)
	}
}

func run(bin, ort, ortVersion string, maps []string) error {
	text, err := os.ReadFile(ort)
	if err != nil {
		return fmt.Errorf("ONNX Runtime licence: %w", err)
	}
	stanza("usr/lib/castscope/*", copyrightLine(string(text), "Microsoft Corporation"), identify(string(text), "LICENSE"),
		"ONNX Runtime "+ortVersion+" CPU build. The components it contains are listed with their licences in /usr/share/doc/castscope/onnxruntime-ThirdPartyNotices.txt.",
		string(text))
	if err := goModules(bin); err != nil {
		return err
	}
	if err := npmPackages(maps); err != nil {
		return err
	}
	return modelStanzas()
}

// stanza writes one Files paragraph with the licence text inline.
func stanza(files, copyright, licence, comment, text string) {
	fmt.Printf("Files: %s\nCopyright: %s\nLicense: %s\n", files, oneLine(copyright), licence)
	for _, l := range strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r", ""), "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			fmt.Println(" .")
		} else {
			fmt.Println(" " + l)
		}
	}
	if comment != "" {
		fmt.Printf("Comment: %s\n", oneLine(comment))
	}
	fmt.Println()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ---- Go modules ---------------------------------------------------------------

func goModules(bin string) error {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("read build info of %s: %w", bin, err)
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return fmt.Errorf("go env GOMODCACHE: %w", err)
	}
	cache := strings.TrimSpace(string(out))
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	text, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "LICENSE"))
	if err != nil {
		return fmt.Errorf("Go's LICENSE: %w", err)
	}
	stanza("usr/bin/castscope", copyrightLine(string(text), "The Go Authors"), identify(string(text), "LICENSE"),
		"The Go "+info.GoVersion+" standard library and runtime, linked into castscope.", string(text))
	for _, d := range info.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		dir := filepath.Join(cache, escape(m.Path)+"@"+m.Version)
		text, name, err := licenceIn(dir)
		if err != nil {
			return fmt.Errorf("Go module %s %s: %w", m.Path, m.Version, err)
		}
		stanza("usr/bin/castscope", copyrightLine(text, m.Path+" authors"), identify(text, name),
			"Go module "+m.Path+" "+m.Version+", linked into castscope.", text)
	}
	return nil
}

// escape is the module cache's case encoding: "!" before each upper-case
// letter, which is lowered.
func escape(path string) string {
	var b strings.Builder
	for _, r := range path {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

var licenceFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying|unlicense)([.-].*)?$`)

// licenceIn returns the text of the licence file at the top of dir.
func licenceIn(dir string) (text, file string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && licenceFile.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", "", fmt.Errorf("no licence file in %s", dir)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return "", "", err
		}
		parts = append(parts, string(b))
	}
	return strings.Join(parts, "\n"), names[0], nil
}

// identify names a licence text by its well-known wording.
func identify(text, file string) string {
	t := strings.ToLower(strings.Join(strings.Fields(text), " "))
	switch {
	case strings.Contains(t, "apache license") && strings.Contains(t, "version 2.0"):
		return "Apache-2.0"
	case strings.Contains(t, "mozilla public license") && strings.Contains(t, "2.0"):
		return "MPL-2.0"
	case strings.Contains(t, "permission is hereby granted, free of charge"):
		return "MIT"
	case strings.Contains(t, "permission to use, copy, modify, and/or distribute this software for any purpose"),
		strings.Contains(t, "permission to use, copy, modify, and distribute this software for any purpose"):
		return "ISC"
	case strings.Contains(t, "redistribution and use in source and binary forms"):
		if strings.Contains(t, "neither the name") || strings.Contains(t, "names of its contributors") {
			return "BSD-3-Clause"
		}
		return "BSD-2-Clause"
	case strings.Contains(t, "this is free and unencumbered software released into the public domain"):
		return "Unlicense"
	}
	return "other (" + file + ")"
}

var copyrightRe = regexp.MustCompile(`(?im)^\s*(copyright\s*(\(c\)|©)?\s*[0-9].*)$`)

func copyrightLine(text, fallback string) string {
	var lines []string
	for _, m := range copyrightRe.FindAllStringSubmatch(text, 4) {
		lines = append(lines, strings.TrimSpace(m[1]))
	}
	if len(lines) == 0 {
		return fallback
	}
	return strings.Join(lines, "; ")
}

// ---- npm packages ---------------------------------------------------------------

var nodeModule = regexp.MustCompile(`node_modules/((?:@[^/]+/)?[^/]+)/`)

func npmPackages(maps []string) error {
	seen := map[string]bool{}
	for _, m := range maps {
		b, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		var sm struct {
			Sources []string `json:"sources"`
		}
		if err := json.Unmarshal(b, &sm); err != nil {
			return fmt.Errorf("source map %s: %w", m, err)
		}
		for _, s := range sm.Sources {
			for _, g := range nodeModule.FindAllStringSubmatch(s, -1) {
				seen[g[1]] = true
			}
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		dir := filepath.Join("frontend", "node_modules", filepath.FromSlash(n))
		var pkg struct {
			Version string `json:"version"`
			License string `json:"license"`
			Author  any    `json:"author"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err != nil {
			return fmt.Errorf("npm package %s: %w", n, err)
		}
		if err := json.Unmarshal(b, &pkg); err != nil {
			return fmt.Errorf("npm package %s: %w", n, err)
		}
		text, file, err := licenceIn(dir)
		if err != nil {
			return fmt.Errorf("npm package %s %s: %w", n, pkg.Version, err)
		}
		lic := pkg.License
		if lic == "" {
			lic = identify(text, file)
		}
		stanza("usr/bin/castscope", copyrightLine(text, n+" authors"), lic,
			"npm package "+n+" "+pkg.Version+", bundled into castscope's user interface.", text)
	}
	return nil
}

// ---- models ---------------------------------------------------------------------

func modelStanzas() error {
	for _, m := range modelpack.Default().Models {
		text, err := models.Files.ReadFile(m.LicenceFile)
		if err != nil {
			return fmt.Errorf("model %s: licence file %s: %w", m.Name, m.LicenceFile, err)
		}
		stanza("usr/bin/castscope", m.Copyright, m.Licence,
			fmt.Sprintf("Face model %s (%s, sha256 %s), built into castscope. Source: %s. Trained on %s.", m.File, m.Role, m.SHA256, m.Source, m.TrainingData),
			string(text))
	}
	return nil
}
