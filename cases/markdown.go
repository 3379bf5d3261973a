package cases

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders notes. The HTML renderer is left in its safe mode (no
// html.WithUnsafe), and the transformer below turns raw HTML into visible
// text, drops images, keeps only http, https and mailto links, and moves
// headings below the page's own.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify, extension.TaskList),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeLinks{}, 1000))),
)

// RenderMarkdown renders a note's Markdown as HTML that is safe to put in
// a page: raw HTML in the source shows as text, links go only to http,
// https and mailto addresses, and nothing loads from elsewhere (images
// become their description).
func RenderMarkdown(src string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// safeLinks rewrites a parsed note before rendering.
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	var replace []func()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			// A note sits under headings of its page: its own start at h4.
			n.Level = min(n.Level+3, 6)
		case *ast.Link:
			if allowedLink(string(n.Destination)) {
				n.SetAttributeString("rel", []byte("nofollow noopener noreferrer"))
			} else {
				replace = append(replace, func() { unwrap(n) })
			}
		case *ast.AutoLink:
			dest := string(n.URL(source))
			if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(dest), "mailto:") {
				dest = "mailto:" + dest
			}
			if allowedLink(dest) {
				n.SetAttributeString("rel", []byte("nofollow noopener noreferrer"))
			} else {
				label := n.Label(source)
				replace = append(replace, func() { n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(label)) })
			}
		case *ast.Image:
			replace = append(replace, func() { unwrap(n) })
		case *ast.RawHTML:
			var raw []byte
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				raw = append(raw, seg.Value(source)...)
			}
			replace = append(replace, func() { n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(raw)) })
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			var raw []byte
			for i := 0; i < n.Lines().Len(); i++ {
				line := n.Lines().At(i)
				raw = append(raw, line.Value(source)...)
			}
			if n.HasClosure() {
				raw = append(raw, n.ClosureLine.Value(source)...)
			}
			replace = append(replace, func() {
				p := ast.NewParagraph()
				p.AppendChild(p, ast.NewString(bytes.TrimRight(raw, "\n")))
				n.Parent().ReplaceChild(n.Parent(), n, p)
			})
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	// Rewrite after the walk, so the walk never follows a detached node.
	for _, f := range replace {
		f()
	}
}

// unwrap replaces a node with its children (a link by its text).
func unwrap(n ast.Node) {
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// allowedLink reports whether a link destination is an absolute http,
// https or mailto URL.
func allowedLink(dest string) bool {
	u, err := url.Parse(strings.TrimSpace(dest))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}
