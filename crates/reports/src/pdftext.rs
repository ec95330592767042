//! The text a person sees on the pages of a PDF written by this crate: content
//! streams decoded through each font's ToUnicode CMap, one string per text object
//! (krilla writes one BT … ET per drawn line). Used by verification to compare the
//! page with the embedded data; not a general text extractor.

use std::collections::{BTreeMap, HashMap};

use crate::pdfscan::{self, RawObject};

type UnicodeMap = HashMap<u32, String>;

fn object_value<'a>(
    objects: &'a BTreeMap<u64, RawObject<'a>>,
    value: &'a [u8],
) -> Option<&'a [u8]> {
    match pdfscan::as_ref(value) {
        Some(n) => objects.get(&n).map(|o| o.value),
        None => Some(value),
    }
}

/// Text of every page, in page order.
pub(crate) fn page_lines(
    pdf: &[u8],
    objects: &BTreeMap<u64, RawObject<'_>>,
) -> Result<Vec<String>, String> {
    let root = pdfscan::last_trailer(pdf)
        .ok()
        .and_then(|t| pdfscan::dict_ref(t, b"/Root"))
        .ok_or("catalogue absent")?;
    let catalog = objects.get(&root).ok_or("catalogue absent")?;
    let pages = pdfscan::dict_ref(catalog.value, b"/Pages")
        .and_then(|n| objects.get(&n))
        .ok_or("arbre des pages absent")?;
    let mut lines = Vec::new();
    for number in pdfscan::kids(pages.value).ok_or("liste des pages illisible")? {
        let page = objects.get(&number).ok_or("page absente")?;
        lines.extend(page_text(objects, page)?);
    }
    Ok(lines)
}

/// Text of one page, one entry per text object (BT … ET).
fn page_text(
    objects: &BTreeMap<u64, RawObject<'_>>,
    page: &RawObject<'_>,
) -> Result<Vec<String>, String> {
    let resources = pdfscan::dict_value(page.value, b"/Resources")
        .and_then(|v| object_value(objects, v))
        .ok_or("ressources absentes")?;
    let mut fonts: HashMap<Vec<u8>, UnicodeMap> = HashMap::new();
    if let Some(font_dict) =
        pdfscan::dict_value(resources, b"/Font").and_then(|v| object_value(objects, v))
    {
        for (name, value) in pdfscan::dict_entries(font_dict).ok_or("polices illisibles")? {
            let font = object_value(objects, value).ok_or("police absente")?;
            let cmap = pdfscan::dict_ref(font, b"/ToUnicode")
                .and_then(|n| objects.get(&n))
                .ok_or("police sans table ToUnicode")?;
            let cmap = pdfscan::decode_stream(cmap).map_err(|e| e.to_string())?;
            fonts.insert(name.to_vec(), parse_cmap(&cmap));
        }
    }
    let contents = pdfscan::dict_value(page.value, b"/Contents").ok_or("contenu absent")?;
    let refs: Vec<u64> = match pdfscan::array_items(contents) {
        Some(items) => items.into_iter().filter_map(pdfscan::as_ref).collect(),
        None => pdfscan::as_ref(contents).into_iter().collect(),
    };
    let mut content = Vec::new();
    for n in refs {
        let stream = objects.get(&n).ok_or("flux de contenu absent")?;
        content.extend(pdfscan::decode_stream(stream).map_err(|e| e.to_string())?);
        content.push(b'\n');
    }
    Ok(text_objects(&content, &fonts))
}

fn utf16_text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u32::from(b))
}

/// bfchar and bfrange entries of a ToUnicode CMap.
fn parse_cmap(cmap: &[u8]) -> UnicodeMap {
    let tokens = pdfscan::tokens(cmap);
    let mut map = UnicodeMap::new();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i] {
            b"beginbfchar" => {
                i += 1;
                while i + 1 < tokens.len() && tokens[i] != b"endbfchar" {
                    if let (Some(src), Some(dst)) = (
                        pdfscan::string_bytes(tokens[i]),
                        pdfscan::string_bytes(tokens[i + 1]),
                    ) {
                        map.insert(code_of(&src), utf16_text(&dst));
                    }
                    i += 2;
                }
            }
            b"beginbfrange" => {
                i += 1;
                while i + 2 < tokens.len() && tokens[i] != b"endbfrange" {
                    let lo = pdfscan::string_bytes(tokens[i]).map(|b| code_of(&b));
                    let hi = pdfscan::string_bytes(tokens[i + 1]).map(|b| code_of(&b));
                    if let (Some(lo), Some(hi)) = (lo, hi) {
                        if let Some(items) = pdfscan::array_items(tokens[i + 2]) {
                            for (code, item) in (lo..=hi).zip(items) {
                                if let Some(dst) = pdfscan::string_bytes(item) {
                                    map.insert(code, utf16_text(&dst));
                                }
                            }
                        } else if let Some(dst) = pdfscan::string_bytes(tokens[i + 2]) {
                            let first = utf16_text(&dst);
                            let mut chars: Vec<char> = first.chars().collect();
                            for code in lo..=hi.min(lo.saturating_add(0xffff)) {
                                map.insert(code, chars.iter().collect());
                                if let Some(last) = chars.last_mut() {
                                    *last = char::from_u32(u32::from(*last) + 1).unwrap_or(*last);
                                }
                            }
                        }
                    }
                    i += 3;
                }
            }
            _ => {}
        }
        i += 1;
    }
    map
}

/// Decoded text of each BT … ET block, using two-byte codes (Identity-H).
fn text_objects(content: &[u8], fonts: &HashMap<Vec<u8>, UnicodeMap>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut font: Option<&UnicodeMap> = None;
    let mut operands: Vec<&[u8]> = Vec::new();
    let decode = |bytes: &[u8], font: Option<&UnicodeMap>, out: &mut String| {
        for code in bytes.chunks(2) {
            let text = font.and_then(|f| f.get(&code_of(code)));
            out.push_str(text.map_or("\u{fffd}", String::as_str));
        }
    };
    for token in pdfscan::tokens(content) {
        match token {
            b"BT" => current.clear(),
            b"ET" => lines.push(std::mem::take(&mut current)),
            b"Tf" => {
                if operands.len() >= 2 {
                    font = fonts.get(operands[operands.len() - 2]);
                }
            }
            b"Tj" | b"'" | b"\"" => {
                if let Some(bytes) = operands.last().and_then(|t| pdfscan::string_bytes(t)) {
                    decode(&bytes, font, &mut current);
                }
            }
            b"TJ" => {
                if let Some(items) = operands.last().and_then(|t| pdfscan::array_items(t)) {
                    for item in items {
                        if let Some(bytes) = pdfscan::string_bytes(item) {
                            decode(&bytes, font, &mut current);
                        }
                    }
                }
            }
            _ => {
                let operator = token
                    .first()
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'*');
                if !operator {
                    operands.push(token);
                    continue;
                }
            }
        }
        operands.clear();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_ranges_and_chars_are_decoded() {
        let cmap =
            b"1 beginbfchar <0003> <00E9> endbfchar 1 beginbfrange <0010> <0012> <0041> endbfrange";
        let map = parse_cmap(cmap);
        assert_eq!(map.get(&3).map(String::as_str), Some("\u{e9}"));
        assert_eq!(map.get(&0x12).map(String::as_str), Some("C"));
    }
}
