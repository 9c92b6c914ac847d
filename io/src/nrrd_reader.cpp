// SPDX-License-Identifier: Apache-2.0
// NRRD headers (http://teem.sourceforge.net/nrrd/format.html): the header decides the layout, then the
// raw, gzip or ascii reader serves the boxes.
#include "libindex/io/nrrd_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "ascii_source.h"
#include "file_io.h"
#include "gzip_source.h"
#include "libindex/error.h"
#include "libindex/io/raw_reader.h"
#include "libindex/io/volume_properties.h"

namespace libindex::io {
namespace {

constexpr size_t kMaxHeaderBytes = size_t(1) << 20;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

struct Field {
  std::string value;
  int line = 0;
};

struct Header {
  std::map<std::string, Field> fields; // lower-cased field name without spaces -> value
  uint64_t end = 0;                    // byte offset just past the blank line (attached data)
};

// Field names are compared without spaces: NRRD allows both "data file" and "datafile".
std::string field_key(const std::string& name) {
  std::string k;
  for (char c : lower(name))
    if (c != ' ') k += c;
  return k;
}

Header parse_header(const std::string& path) {
  const uint64_t size = detail::regular_file_size(path, "nrrd");
  detail::InputFile file(path, "nrrd");
  std::string text(size_t(std::min<uint64_t>(size, kMaxHeaderBytes)), '\0');
  text.resize(file.read_some_at(text.data(), text.size(), 0));
  if (text.rfind("NRRD000", 0) != 0)
    throw Error("nrrd: '" + path + ":1': not a NRRD file (it must start with 'NRRD000')");
  Header h;
  size_t pos = 0;
  int line_no = 0;
  bool blank = false;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos && text.size() == kMaxHeaderBytes)
      throw Error("nrrd: '" + path + "': no end of header within the first 1 MiB");
    const std::string line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    if (line_no == 1 || (!line.empty() && line[0] == '#')) continue;
    if (line.empty()) {
      blank = true;
      break;
    }
    if (line.find(":=") != std::string::npos) continue; // key/value pairs: free-form metadata
    const auto colon = line.find(": ");
    if (colon == std::string::npos)
      throw Error("nrrd: '" + path + ":" + std::to_string(line_no) + "': expected 'field: value', got '" + line + "'");
    h.fields[field_key(line.substr(0, colon))] = {trim(line.substr(colon + 2)), line_no};
  }
  h.end = blank ? pos : text.size();
  return h;
}

FileType parse_type(const std::string& type, const std::string& where) {
  const std::string t = lower(type);
  auto is = [&t](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (t == n) return true;
    return false;
  };
  if (is({"uchar", "unsigned char", "uint8", "uint8_t"})) return FileType::uint8;
  if (is({"signed char", "int8", "int8_t"})) return FileType::int8;
  if (is({"ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"})) return FileType::uint16;
  if (is({"short", "short int", "signed short", "signed short int", "int16", "int16_t"})) return FileType::int16;
  if (is({"uint", "unsigned int", "uint32", "uint32_t"})) return FileType::uint32;
  if (is({"int", "signed int", "int32", "int32_t"})) return FileType::int32;
  if (t == "float") return FileType::float32;
  if (t == "double") return FileType::float64;
  throw Error(where + ": type '" + type +
              "' is not supported (uchar, signed char, ushort, short, uint, int, float or double)");
}

// Vector length of each "(a,b,c)" in "space directions"; "none" marks a non-spatial axis. `aligned`
// turns false when a vector is not along its own axis, pointing the positive way (a rotation or a
// flip, which libindex does not apply).
std::vector<float> direction_lengths(const std::string& text, const std::string& where, bool& aligned) {
  std::vector<float> out;
  aligned = true;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    if (word == "none") continue;
    std::string inner = word;
    // A vector may contain spaces after commas: gather until the closing parenthesis.
    while (inner.find(')') == std::string::npos && in >> word) inner += word;
    if (inner.front() != '(' || inner.back() != ')')
      throw Error(where + ": space directions must be vectors like (1,0,0), got '" + text + "'");
    std::replace(inner.begin(), inner.end(), ',', ' ');
    std::istringstream v(inner.substr(1, inner.size() - 2));
    double sum = 0, c, along = 0;
    int count = 0;
    while (v >> c) {
      if (count == int(out.size())) along = c;
      sum += c * c, ++count;
    }
    if (count == 0) throw Error(where + ": cannot read space direction '" + inner + "'");
    const double length = std::sqrt(sum);
    aligned = aligned && along > 0 && along >= length * (1 - 1e-6);
    out.push_back(float(length));
  }
  return out;
}

// Adds the spacing to whichever reader serves the data.
class NrrdSource final : public VolumeSource, public SpacedVolume {
 public:
  NrrdSource(std::unique_ptr<VolumeSource> inner, Vec3f spacing) : inner_(std::move(inner)), spacing_(spacing) {}
  Box3i box() const override { return inner_->box(); }
  DType dtype() const override { return inner_->dtype(); }
  Brick read(const Box3i& region) const override { return inner_->read(region); }
  std::string describe() const override { return inner_->describe(); }
  Vec3f spacing() const override { return spacing_; }

 private:
  std::unique_ptr<VolumeSource> inner_;
  Vec3f spacing_;
};

// Offset of the first byte after `lines` newline-terminated lines of `path`.
uint64_t skip_lines(const std::string& path, int lines) {
  detail::InputFile f(path, "nrrd");
  uint64_t offset = 0;
  std::vector<char> buf(1 << 16);
  while (lines > 0) {
    const size_t got = f.read_some_at(buf.data(), buf.size(), offset);
    if (got == 0) throw Error("nrrd: '" + path + "': 'line skip' goes past the end of the file");
    size_t i = 0;
    for (; i < got && lines > 0; ++i)
      if (buf[i] == '\n') --lines;
    offset += i;
  }
  return offset;
}

} // namespace

std::unique_ptr<VolumeSource> open_nrrd(const std::string& path, const PathPolicy* policy,
                                        std::vector<std::string>* warnings) {
  const Header h = parse_header(path);
  auto where = [&](const std::string& key) {
    const auto it = h.fields.find(key);
    return "nrrd: '" + path + ":" + std::to_string(it == h.fields.end() ? 1 : it->second.line) + "'";
  };
  auto get = [&](const std::string& key) -> const std::string* {
    const auto it = h.fields.find(key);
    return it == h.fields.end() ? nullptr : &it->second.value;
  };
  auto need = [&](const std::string& key) -> const std::string& {
    if (const auto* v = get(key)) return *v;
    throw Error("nrrd: '" + path + "': the header has no '" + key + "' field");
  };

  const std::string& dim_text = need("dimension");
  if (trim(dim_text) != "3")
    throw Error(where("dimension") + ": dimension " + dim_text + " is not supported (only 3-D scalar volumes)");
  RawLayout layout;
  layout.type = parse_type(need("type"), where("type"));
  {
    std::istringstream in(need("sizes"));
    int n[3] = {0, 0, 0};
    if (!(in >> n[0] >> n[1] >> n[2]) || n[0] <= 0 || n[1] <= 0 || n[2] <= 0)
      throw Error(where("sizes") + ": sizes must be three positive integers, got '" + need("sizes") + "'");
    layout.dims = {n[0], n[1], n[2]};
  }
  const std::string encoding = lower(need("encoding"));
  const bool gzip = encoding == "gzip" || encoding == "gz";
  const bool ascii = encoding == "ascii" || encoding == "text" || encoding == "txt";
  if (!gzip && !ascii && encoding != "raw")
    throw Error(where("encoding") + ": encoding '" + encoding + "' is not supported (raw, gzip or ascii)");
  if (const auto* e = get("endian")) {
    const std::string endian = lower(*e);
    if (endian != "little" && endian != "big")
      throw Error(where("endian") + ": endian must be little or big, got '" + *e + "'");
    layout.endian = endian == "big" ? Endian::big : Endian::little;
  } else if (file_type_size(layout.type) > 1 && !ascii) { // numbers in text have no byte order
    throw Error("nrrd: '" + path + "': the header has no 'endian' field, required for type " + to_string(layout.type));
  }

  Vec3f spacing{1, 1, 1};
  if (const auto* s = get("spacings")) {
    std::istringstream in(*s);
    std::string w[3];
    if (!(in >> w[0] >> w[1] >> w[2])) throw Error(where("spacings") + ": expected 3 spacings, got '" + *s + "'");
    for (int a = 0; a < 3; ++a) {
      const double v = w[a] == "nan" ? 1.0 : std::atof(w[a].c_str()); // "nan" means unknown: keep 1
      // Checked as the float it becomes: 1e-50 would be 0 and 1e39 infinite, and the renderer
      // scales the volume's box by it.
      if (!(float(v) > 0) || !std::isfinite(float(v)))
        throw Error(where("spacings") + ": spacing '" + w[a] + "' must be a positive number");
      spacing[a] = float(v);
    }
  } else if (const auto* d = get("spacedirections")) {
    bool aligned = true;
    const auto lengths = direction_lengths(*d, where("spacedirections"), aligned);
    if (!aligned && warnings)
      warnings->push_back(where("spacedirections") + ": '" + *d +
                          "' rotates or flips the axes; libindex lays voxel axis i along scene axis i and takes "
                          "only the vectors' lengths as spacings, so the volume may look rotated or mirrored");
    if (lengths.size() != 3) throw Error(where("spacedirections") + ": expected 3 space directions, got '" + *d + "'");
    for (int a = 0; a < 3; ++a) {
      if (!(lengths[a] > 0) || !std::isfinite(lengths[a]))
        throw Error(where("spacedirections") + ": space direction " + std::to_string(a + 1) +
                    " must have a positive length, got '" + *d + "'");
      spacing[a] = lengths[a];
    }
  }

  // Data: attached after the blank line, or detached in "data file" (relative to the header).
  layout.path = path;
  uint64_t start = h.end;
  if (const auto* df = get("datafile")) {
    if (*df == "LIST" || df->rfind("LIST", 0) == 0 || df->find('%') != std::string::npos)
      throw Error(where("datafile") + ": multi-file data ('" + *df + "') is not supported");
    std::filesystem::path p(*df);
    if (p.is_relative()) p = std::filesystem::path(path).parent_path() / p;
    layout.path = p.string();
    if (policy) {
      try {
        layout.path = policy->resolve(std::filesystem::absolute(p).lexically_normal().string());
      } catch (const Error& e) {
        throw Error(where("datafile") + ": " + e.what());
      }
    }
    try { // a missing data file is the header's fault: say which header named it
      detail::regular_file_size(layout.path, "data file");
    } catch (const Error& e) {
      throw Error(where("datafile") + ": " + e.what());
    }
    start = 0;
  } else if (std::filesystem::path(path).extension() == ".nhdr") {
    throw Error("nrrd: '" + path + "': a detached header (.nhdr) needs a 'data file' field");
  }
  int line_skip = 0;
  if (const auto* ls = get("lineskip")) line_skip = std::atoi(ls->c_str());
  if (line_skip > 0) start = skip_lines(layout.path, line_skip) + start;
  long long byte_skip = 0;
  if (const auto* bs = get("byteskip")) byte_skip = std::atoll(bs->c_str());

  layout.label = "nrrd";
  std::unique_ptr<VolumeSource> inner;
  if (ascii) {
    if (byte_skip != 0)
      throw Error(where("byteskip") + ": byte skip is not allowed with ascii encoding (line skip is)");
    layout.offset = start;
    inner = detail::open_ascii_volume(layout);
  } else if (gzip) {
    if (byte_skip < 0) throw Error(where("byteskip") + ": byte skip -1 is only allowed with raw encoding");
    layout.offset = start;
    inner = detail::open_gzip_volume(layout, uint64_t(byte_skip), "nrrd");
  } else {
    const uint64_t bytes = uint64_t(layout.dims.x) * layout.dims.y * layout.dims.z * file_type_size(layout.type);
    if (byte_skip == -1) { // the data is the last `bytes` of the file
      const uint64_t size = detail::regular_file_size(layout.path, "nrrd");
      if (size < bytes)
        throw Error("nrrd: '" + layout.path + "' is truncated: expected " + std::to_string(bytes) +
                    " bytes, the file has " + std::to_string(size) + " bytes");
      layout.offset = size - bytes;
    } else {
      layout.offset = start + uint64_t(std::max(0LL, byte_skip));
    }
    layout.allow_trailing = true; // NRRD states where the data starts; trailing bytes are harmless
    inner = open_raw(layout);
  }
  return std::make_unique<NrrdSource>(std::move(inner), spacing);
}

} // namespace libindex::io
