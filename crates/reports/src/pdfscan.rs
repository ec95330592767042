//! Just enough PDF reading for the files this crate writes: trailer and xref of the
//! last revision, objects by number, dictionaries, streams (Flate or none), literal and
//! hex strings. It is not a general PDF parser and must not become one; anything
//! unexpected is an error, never a guess.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

pub(crate) fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn skip_ws(data: &[u8], mut i: usize) -> usize {
    while i < data.len() {
        if is_ws(data[i]) {
            i += 1;
        } else if data[i] == b'%' {
            while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                i += 1;
            }
        } else {
            break;
        }
    }
    i
}

/// End (exclusive) of the object starting at `i` (which must not be whitespace).
pub(crate) fn object_end(data: &[u8], i: usize) -> Option<usize> {
    let first = *data.get(i)?;
    match first {
        b'<' if data.get(i + 1) == Some(&b'<') => {
            let mut j = i + 2;
            loop {
                j = skip_ws(data, j);
                if data.get(j..j + 2)? == b">>" {
                    return Some(j + 2);
                }
                j = object_end(data, j)?;
            }
        }
        b'[' => {
            let mut j = i + 1;
            loop {
                j = skip_ws(data, j);
                if *data.get(j)? == b']' {
                    return Some(j + 1);
                }
                j = object_end(data, j)?;
            }
        }
        b'<' => Some(i + data[i..].iter().position(|&b| b == b'>')? + 1),
        b'(' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < data.len() {
                match data[j] {
                    b'\\' => j += 1,
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        b'/' => {
            let mut j = i + 1;
            while j < data.len() && !is_ws(data[j]) && !is_delim(data[j]) {
                j += 1;
            }
            Some(j)
        }
        b'>' | b']' | b')' => None,
        _ => {
            let mut j = i;
            while j < data.len() && !is_ws(data[j]) && !is_delim(data[j]) {
                j += 1;
            }
            if j == i {
                return None;
            }
            // An indirect reference "N G R" is one object.
            if data[i..j].iter().all(u8::is_ascii_digit) {
                let k = skip_ws(data, j);
                let mut l = k;
                while l < data.len() && data[l].is_ascii_digit() {
                    l += 1;
                }
                if l > k {
                    let m = skip_ws(data, l);
                    if data.get(m) == Some(&b'R')
                        && data.get(m + 1).is_none_or(|&b| is_ws(b) || is_delim(b))
                    {
                        return Some(m + 1);
                    }
                }
            }
            Some(j)
        }
    }
}

/// The top-level entries of a dictionary `<< ... >>`, as raw key and value bytes.
pub(crate) fn dict_entries(dict: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    if !dict.starts_with(b"<<") {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 2;
    loop {
        i = skip_ws(dict, i);
        if dict.get(i..i + 2)? == b">>" {
            return Some(out);
        }
        let key_end = object_end(dict, i)?;
        let key = &dict[i..key_end];
        let v = skip_ws(dict, key_end);
        let value_end = object_end(dict, v)?;
        out.push((key, &dict[v..value_end]));
        i = value_end;
    }
}

pub(crate) fn dict_value<'a>(dict: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    dict_entries(dict)?
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn parse_int(text: &[u8]) -> Option<u64> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

pub(crate) fn dict_int(dict: &[u8], key: &[u8]) -> Option<u64> {
    parse_int(dict_value(dict, key)?)
}

/// Object number of a reference value "N G R".
pub(crate) fn as_ref(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    let mut parts = text.split_ascii_whitespace();
    let n = parts.next()?.parse().ok()?;
    let _generation: u64 = parts.next()?.parse().ok()?;
    (parts.next()? == "R" && parts.next().is_none()).then_some(n)
}

pub(crate) fn dict_ref(dict: &[u8], key: &[u8]) -> Option<u64> {
    as_ref(dict_value(dict, key)?)
}

/// The elements of an array `[ ... ]`.
pub(crate) fn array_items(array: &[u8]) -> Option<Vec<&[u8]>> {
    if !array.starts_with(b"[") {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        i = skip_ws(array, i);
        if *array.get(i)? == b']' {
            return Some(out);
        }
        let end = object_end(array, i)?;
        out.push(&array[i..end]);
        i = end;
    }
}

/// The page objects of a flat page tree (krilla writes one /Pages node).
pub(crate) fn kids(pages: &[u8]) -> Option<Vec<u64>> {
    array_items(dict_value(pages, b"/Kids")?)?
        .into_iter()
        .map(as_ref)
        .collect()
}

/// The dictionary after `startxref … trailer` of the last revision (classic xref).
pub(crate) fn last_trailer(pdf: &[u8]) -> Result<&[u8]> {
    let at = rfind(pdf, b"trailer").ok_or(Error::PdfStructure("trailer absent"))?;
    let start = skip_ws(pdf, at + b"trailer".len());
    let end = object_end(pdf, start).ok_or(Error::PdfStructure("trailer illisible"))?;
    Ok(&pdf[start..end])
}

pub(crate) fn last_startxref(pdf: &[u8]) -> Result<u64> {
    let at = rfind(pdf, b"startxref").ok_or(Error::PdfStructure("startxref absent"))?;
    let start = skip_ws(pdf, at + b"startxref".len());
    let end = start
        + pdf[start..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(pdf.len() - start);
    parse_int(&pdf[start..end]).ok_or(Error::PdfStructure("startxref illisible"))
}

/// One indirect object: its dictionary (or other value) and raw stream data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawObject<'a> {
    pub value: &'a [u8],
    pub stream: Option<&'a [u8]>,
}

/// Every indirect object of the file, scanning revisions in order so that the last
/// definition of a number wins (as an incremental update intends).
pub(crate) fn objects(pdf: &[u8]) -> Result<BTreeMap<u64, RawObject<'_>>> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < pdf.len() {
        let line_start = i == 0 || matches!(pdf[i - 1], b'\n' | b'\r');
        if line_start
            && pdf[i].is_ascii_digit()
            && let Some((number, body)) = object_header(pdf, i)
        {
            {
                let v = skip_ws(pdf, body);
                let end = object_end(pdf, v).ok_or(Error::PdfStructure("objet illisible"))?;
                let value = &pdf[v..end];
                let mut next = skip_ws(pdf, end);
                let mut stream = None;
                if pdf[next..].starts_with(b"stream") {
                    let mut data = next + b"stream".len();
                    if pdf.get(data) == Some(&b'\r') {
                        data += 1;
                    }
                    if pdf.get(data) == Some(&b'\n') {
                        data += 1;
                    }
                    let len = dict_int(value, b"/Length")
                        .and_then(|l| usize::try_from(l).ok())
                        .ok_or(Error::PdfStructure("longueur de flux"))?;
                    let data_end = data
                        .checked_add(len)
                        .filter(|&e| e <= pdf.len())
                        .ok_or(Error::PdfStructure("flux tronqué"))?;
                    stream = Some(&pdf[data..data_end]);
                    next = data_end;
                }
                let endobj =
                    find_from(pdf, b"endobj", next).ok_or(Error::PdfStructure("endobj absent"))?;
                out.insert(number, RawObject { value, stream });
                i = endobj + b"endobj".len();
                continue;
            }
        }
        i += 1;
    }
    Ok(out)
}

/// At `i`, "N G obj": returns N and the index after "obj".
fn object_header(pdf: &[u8], i: usize) -> Option<(u64, usize)> {
    let mut j = i;
    while j < pdf.len() && pdf[j].is_ascii_digit() {
        j += 1;
    }
    let number = parse_int(&pdf[i..j])?;
    if pdf.get(j) != Some(&b' ') {
        return None;
    }
    let k = j + 1;
    let mut l = k;
    while l < pdf.len() && pdf[l].is_ascii_digit() {
        l += 1;
    }
    if l == k || pdf.get(l..l + 4)? != b" obj" {
        return None;
    }
    Some((number, l + 4))
}

/// The dictionary of object `number` (last definition).
pub(crate) fn object_dict(pdf: &[u8], number: u64) -> Option<&[u8]> {
    let map = objects(pdf).ok()?;
    let value = map.get(&number)?.value;
    value.starts_with(b"<<").then_some(value)
}

/// Decoded stream data: no filter or `/FlateDecode` only.
pub(crate) fn decode_stream(object: &RawObject<'_>) -> Result<Vec<u8>> {
    let raw = object.stream.ok_or(Error::PdfStructure("flux attendu"))?;
    match dict_value(object.value, b"/Filter") {
        None => Ok(raw.to_vec()),
        Some(b"/FlateDecode") => miniz_oxide::inflate::decompress_to_vec_zlib(raw)
            .map_err(|_| Error::PdfStructure("flux compressé illisible")),
        Some(_) => Err(Error::PdfStructure("filtre de flux non pris en charge")),
    }
}

/// The same dictionary with `extra` inserted before its closing `>>`.
pub(crate) fn dict_with_extra(dict: &[u8], extra: &[u8]) -> Result<Vec<u8>> {
    let body = dict
        .strip_suffix(b">>")
        .ok_or(Error::PdfStructure("dictionnaire mal fermé"))?;
    let mut out = body.to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(b" >>");
    Ok(out)
}

/// A classic cross-reference section for the given (object, offset) pairs.
pub(crate) fn xref_section(offsets: &mut [(u64, usize)]) -> Vec<u8> {
    offsets.sort_unstable();
    let mut out = b"xref\n".to_vec();
    let mut i = 0;
    while i < offsets.len() {
        let mut j = i + 1;
        while j < offsets.len() && offsets[j].0 == offsets[j - 1].0 + 1 {
            j += 1;
        }
        out.extend_from_slice(format!("{} {}\n", offsets[i].0, j - i).as_bytes());
        for (_, offset) in &offsets[i..j] {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        i = j;
    }
    out
}

/// Bytes of a literal `( … )` or hex `< … >` string.
pub(crate) fn string_bytes(token: &[u8]) -> Option<Vec<u8>> {
    if let Some(hex) = token.strip_prefix(b"<").and_then(|t| t.strip_suffix(b">")) {
        let mut digits: Vec<u8> = hex.iter().copied().filter(|b| !is_ws(*b)).collect();
        if digits.len() % 2 == 1 {
            digits.push(b'0');
        }
        return hex::decode(digits).ok();
    }
    let inner = token.strip_prefix(b"(")?.strip_suffix(b")")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&e) = inner.get(i) else { break };
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(b'\x08'),
            b'f' => out.push(b'\x0c'),
            b'0'..=b'7' => {
                let mut value: u32 = 0;
                let mut n = 0;
                while n < 3 && i < inner.len() && (b'0'..=b'7').contains(&inner[i]) {
                    value = value * 8 + u32::from(inner[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(u8::try_from(value & 0xff).unwrap_or(0));
                continue;
            }
            b'\r' => {
                if inner.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => {}
            other => out.push(other),
        }
        i += 1;
    }
    Some(out)
}

/// Splits a content stream or CMap into tokens (objects and operators).
pub(crate) fn tokens(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = skip_ws(data, 0);
    while i < data.len() {
        let end = match data[i] {
            // Arrays are kept whole: TJ takes one.
            b'[' | b'(' | b'<' | b'/' => object_end(data, i),
            b']' | b')' | b'>' | b'{' | b'}' => Some(i + 1),
            _ => {
                let mut j = i;
                while j < data.len() && !is_ws(data[j]) && !is_delim(data[j]) {
                    j += 1;
                }
                Some(j.max(i + 1))
            }
        };
        let Some(end) = end else { break };
        out.push(&data[i..end]);
        i = skip_ws(data, end);
    }
    out
}
