package web

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
)

// pager is a list page's place among the rows its filters find (From–To
// of Of; Of 0 when they are not counted) and its links to the first, the
// previous and the next page ("" where there is none): the "pager"
// template draws it.
//
// Pages are the store's cursor pages, which it reads forwards only. So
// each page's link carries, besides its cursor and its number, the
// cursors of up to pagerTrail pages before it ("back"), and "Föregående
// sida" goes back to exactly the page shown before.
type pager struct {
	From, To, Of int
	path         string
	// first, previous and next are the links' queries; nil: no such page.
	first, previous, next url.Values
}

// First, Previous and Next are the links to those pages, "" where there is
// none.
func (p pager) First() string    { return p.link(p.first) }
func (p pager) Previous() string { return p.link(p.previous) }
func (p pager) Next() string     { return p.link(p.next) }

func (p pager) link(v url.Values) string {
	switch {
	case v == nil:
		return ""
	case len(v) == 0:
		return p.path
	}
	return p.path + "?" + v.Encode()
}

// pagerTrail bounds the cursors a page's link carries: how far back
// "Föregående sida" goes before only "Första sidan" is left.
const pagerTrail = 20

// newPager is the pager of a page at path that shows rows of at most size
// rows a page. keep are the filters every link keeps; in is the request's
// query (cursor, back, page); next is the store's cursor of the page after
// this one ("" on the last); total is how many rows the filters find (0:
// not counted).
func newPager(path string, keep, in url.Values, size, rows int, next string, total int) pager {
	link := func(page int, cursor string, back []string) url.Values {
		v := maps.Clone(keep)
		if v == nil {
			v = url.Values{}
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
			v.Set("cursor", cursor)
			if len(back) > 0 {
				v["back"] = back
			}
		}
		return v
	}
	cursor, back := in.Get("cursor"), in["back"]
	page, err := strconv.Atoi(in.Get("page"))
	if err != nil || page < 1 || page > 1_000_000 || cursor == "" {
		page, back = 1, nil
	}
	p := pager{Of: total, path: path}
	if rows > 0 {
		p.From = (page-1)*size + 1
		p.To = p.From + rows - 1
		if total > 0 {
			p.Of = max(total, p.To) // rows may have come since the count
		}
	}
	if page > 1 {
		p.first = link(1, "", nil)
		switch n := len(back); {
		case n > 0:
			p.previous = link(page-1, back[n-1], back[:n-1])
		case page == 2:
			p.previous = p.first
		}
	}
	if next != "" {
		trail := append(slices.Clone(back), cursor)
		if page == 1 {
			trail = []string{""} // the first page's cursor
		}
		p.next = link(page+1, next, trail[max(0, len(trail)-pagerTrail):])
	}
	return p
}
