package ingest

// TODO: stub, replaced by the real format.
func icewsFormat() Format { return Format{Name: "icews"} }
