//! Text, logs and delimited tables streamed line by line, and large UTF-8
//! files split at line starts and scanned in parallel.

use super::*;

impl<'a> Pipeline<'a> {
    /// Text, logs and delimited tables, streamed line by line.
    pub(super) fn text(
        &self,
        head: Vec<u8>,
        rest: &mut dyn Read,
        blob: &Blob<'_>,
        format: &'static str,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let source = Source::new(rest, head, blob.complete_head);
        let binary = source.is_binary();
        if let Some(skipped) = self.skip_binary(binary, blob) {
            return emit(skipped);
        }
        let encoding = source.encoding_label();
        let format = if binary && format == "text" {
            "binary"
        } else {
            format
        };
        let mut extractor = extract::Extractor::for_path(Path::new(blob.name), binary);
        let mut header: Option<HeaderProfile> = None;
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut scan = self.new_scan(&blob.display);
        let result = source
            .into_lines(self.opts.chunk_size)
            .for_each_segment(|seg| {
                let mut is_header = false;
                if seg.line == 1 && seg.whole {
                    if let Some((profile, n)) = self.table_header(&mut extractor, seg.text) {
                        is_header = true;
                        header = Some(profile);
                        names = n;
                    }
                }
                let table = (header.as_ref(), names.as_slice());
                self.segment(&mut scan, &mut extractor, &seg, is_header, table, binary);
            });
        let (bytes, replaced, error) = match result {
            Ok(stats) => (stats.bytes, stats.replaced, None),
            Err(e) => (0, false, Some(format!("read stopped part-way: {e}"))),
        };
        emit(self.finish(
            scan,
            blob.display.clone(),
            (format, encoding),
            (bytes, replaced, error),
        ));
    }

    /// A large UTF-8 (or binary) file, split at line starts into parts of
    /// about `--split-size` scanned in parallel. Every line belongs to exactly
    /// one part; line numbers are fixed up from the parts' line counts.
    pub(super) fn text_split(
        &self,
        file: &File,
        head: &[u8],
        sniffed: read::decode::Sniffed,
        size: u64,
        blob: &Blob<'_>,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let binary = sniffed.encoding.is_none();
        if let Some(skipped) = self.skip_binary(binary, blob) {
            return emit(skipped);
        }
        // Line 1 decides the table layout, as in the sequential path.
        let body = &head[sniffed.bom_len..];
        let first = body
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body, |nl| &body[..nl]);
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        let mut extractor = extract::Extractor::for_path(Path::new(blob.name), binary);
        let (header, names) = match self.table_header(&mut extractor, first) {
            Some((profile, names)) => (Some(profile), names),
            None => (None, Vec::new()),
        };
        let mut starts = vec![sniffed.bom_len as u64];
        // Parts of `--split-size`, shrinking towards the end of the file (to
        // an eighth) so that the workers run out of work together.
        let workers = rayon::current_num_threads().max(1) as u64;
        let part = |from: u64| {
            let split = self.opts.split_size;
            ((size - from) / (2 * workers)).clamp((split / 8).max(1), split)
        };
        let mut at = part(0);
        while at < size && !self.cancel.load(Ordering::Relaxed) {
            // No line break near a cut: data without lines (a dump) is not
            // split further.
            let Some(b) = next_line_start(file, at, size) else {
                break;
            };
            if b > *starts.last().unwrap_or(&0) && b < size {
                starts.push(b);
            }
            at = b.max(at) + part(b.max(at));
        }
        let parts: Vec<(u64, u64)> = starts
            .iter()
            .zip(starts.iter().skip(1).chain([&size]))
            .map(|(&s, &e)| (s, e))
            .collect();
        // Each part gets its own extractor (it holds a field buffer).
        let jobs: Vec<(usize, (u64, u64), extract::Extractor)> = parts
            .iter()
            .enumerate()
            .map(|(i, &range)| (i, range, extractor.clone()))
            .collect();
        let results: Vec<(Scan, io::Result<read::chunk::ReadStats>)> = jobs
            .into_par_iter()
            // Every part its own task: rayon's default splits a few parts
            // into one task, and a worker left with them works alone.
            .with_max_len(1)
            .map(|(i, (start, end), mut ex)| {
                let mut scan = self.new_scan(&blob.display);
                let region = Region {
                    file,
                    pos: start,
                    end,
                    cancel: self.cancel,
                };
                let reader = read::chunk::TextReader::new(
                    region,
                    Vec::new(),
                    0,
                    false,
                    sniffed.encoding,
                    self.opts.chunk_size,
                );
                let result = reader.for_each_segment(|seg| {
                    let is_header = i == 0 && seg.line == 1 && seg.whole && header.is_some();
                    let table = (header.as_ref(), names.as_slice());
                    self.segment(&mut scan, &mut ex, &seg, is_header, table, binary);
                });
                // Parts wait for each other: their value sets wait on disk.
                scan.tally.shelve();
                (scan, result)
            })
            .collect();
        let mut merged = self.new_scan(&blob.display);
        let (mut bytes, mut replaced, mut error, mut offset) =
            (sniffed.bom_len as u64, false, None, 0u64);
        for (mut scan, result) in results {
            scan.tally.listed.iter_mut().for_each(|f| f.line += offset);
            match result {
                Ok(stats) => {
                    bytes += stats.bytes;
                    replaced |= stats.replaced;
                    offset += stats.newlines;
                }
                Err(e) => {
                    error.get_or_insert(format!("read stopped part-way: {e}"));
                }
            }
            merged.tally.merge(scan.tally);
        }
        let format = if binary { "binary" } else { "text" };
        let encoding = read::decode::label(sniffed.encoding);
        emit(self.finish(
            merged,
            blob.display.clone(),
            (format, encoding),
            (bytes, replaced, error),
        ));
    }

    /// Detect in one streamed segment: its text unit from `extractor`,
    /// columns counted in the segment; `table` is the header and field names.
    fn segment(
        &self,
        scan: &mut Scan<'_>,
        extractor: &mut extract::Extractor,
        seg: &read::chunk::Segment<'_>,
        is_header: bool,
        (header, names): (Option<&HeaderProfile>, &[Arc<str>]),
        binary: bool,
    ) {
        let unit = extractor.unit(seg.text, seg.whole, is_header);
        let column = |m: &Match| seg.column(m.span.start, binary);
        self.unit(
            scan,
            &unit,
            header,
            names,
            Some(&seg.own),
            seg.line,
            &column,
        );
    }
}

/// A byte range of a file, read with positional reads (parts of one file
/// are read by several threads at once).
struct Region<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
    cancel: &'f AtomicBool,
}

impl Read for Region<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        let n = (self.end - self.pos).min(buf.len() as u64) as usize;
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

/// The offset just after the first line break at or after `from`, looking at
/// most 1 MiB ahead (a longer line is not split).
pub(super) fn next_line_start(file: &File, from: u64, size: u64) -> Option<u64> {
    let mut buf = vec![0u8; 64 << 10];
    let mut pos = from;
    while pos < size.min(from + (1 << 20)) {
        let n = file.read_at(&mut buf, pos).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Some(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
    None
}
