package ingest

// TODO: stub, replaced by the real format.
func gdeltFormat() Format { return Format{Name: "gdelt"} }
