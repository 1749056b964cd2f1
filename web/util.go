package web

import (
	"mime"
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

func parseMediaType(ct string) (string, map[string]string, bool) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, false
	}
	for k, v := range params {
		params[k] = strings.ToLower(v)
	}
	return mt, params, true
}
