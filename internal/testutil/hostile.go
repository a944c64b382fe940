package testutil

import "strings"

// HostileYAML returns the documents every user-file parser's fuzz target
// seeds its corpus with, beside valid files of its own kind: nesting far
// past the limit in flow and block style, alias bombs, and a file just
// over maxBytes (the parser's size cap; left out above 8 MiB, too big for
// the fuzzer to mutate: test that cap on its own). Each must be refused
// with an error that names the limit, quickly and with little memory.
func HostileYAML(maxBytes int) [][]byte {
	var block strings.Builder
	for i := range 200 {
		block.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	seeds := [][]byte{
		[]byte("rules: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n"),
		[]byte("rules: " + strings.Repeat("[", 10000) + "\n"),
		[]byte("a: " + strings.Repeat("{b: ", 5000) + "1" + strings.Repeat("}", 5000) + "\n"),
		[]byte(block.String()),
		[]byte(strings.Repeat("- ", 1000) + "x\n"),
		[]byte(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
`),
	}
	if maxBytes <= 8<<20 {
		seeds = append(seeds, []byte("description: "+strings.Repeat("x", maxBytes)+"\n"))
	}
	return seeds
}

// IsLimitError reports whether err's message says a limit of CheckBounds
// was passed.
func IsLimitError(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "over the limit of") ||
		strings.Contains(err.Error(), "deeper than the limit of") ||
		strings.Contains(err.Error(), "past the limit of"))
}
