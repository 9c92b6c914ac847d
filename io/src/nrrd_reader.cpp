// SPDX-License-Identifier: Apache-2.0
// NRRD headers (http://teem.sourceforge.net/nrrd/format.html): the header decides the layout, then the
// raw, gzip, bzip2, hex or ascii reader serves the boxes.
#include "libindex/io/nrrd_reader.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "ascii_source.h"
#include "file_io.h"
#include "encoded_source.h"
#include "libindex/error.h"
#include "libindex/io/raw_reader.h"
#include "libindex/io/volume_properties.h"
#include "lowercase.h"
#include "slab_stack.h"

namespace libindex::io {
namespace {

constexpr size_t kMaxHeaderBytes = size_t(1) << 20;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

struct Field {
  std::string value;
  int line = 0;
};

struct Header {
  std::map<std::string, Field> fields; // lower-cased field name without spaces -> value
  std::vector<Field> listed_files;     // after "data file: LIST", the header's remaining lines
  uint64_t end = 0;                    // byte offset just past the blank line (attached data)
};

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Field names are compared without spaces: NRRD allows both "data file" and "datafile".
std::string field_key(const std::string& name) {
  std::string k;
  for (char c : detail::lowercase(name))
    if (c != ' ') k += c;
  return k;
}

Header parse_header(const std::string& path) {
  const uint64_t size = detail::regular_file_size(path, "nrrd");
  detail::InputFile file(path, "nrrd");
  std::string text(size_t(std::min<uint64_t>(size, kMaxHeaderBytes)), '\0');
  text.resize(file.read_some_at(text.data(), text.size(), 0));
  if (text.rfind("\xEF\xBB\xBF", 0) == 0)
    throw Error("nrrd: '" + path + ":1': starts with a UTF-8 byte-order mark; a NRRD file must start with 'NRRD000'");
  // NRRD0001..NRRD0005, and NRRD00.01, the magic of the oldest files (Teem still reads them).
  if (text.rfind("NRRD000", 0) != 0 && text.rfind("NRRD00.01", 0) != 0)
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
    const std::string key = field_key(line.substr(0, colon));
    h.fields[key] = {trim(line.substr(colon + 2)), line_no};
    const std::string& value = h.fields[key].value;
    if (key == "datafile" && value.substr(0, value.find_first_of(" \t")) == "LIST") {
      // The rest of the header names the data files, one a line (it ends at a blank line or the end).
      while (pos < text.size()) {
        const size_t end = text.find('\n', pos);
        const std::string name = trim(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
        pos = end == std::string::npos ? text.size() : end + 1;
        ++line_no;
        if (name.empty()) break;
        h.listed_files.push_back({name, line_no});
      }
      break;
    }
  }
  h.end = blank ? pos : text.size();
  return h;
}

FileType parse_type(const std::string& type, const std::string& where) {
  const std::string t = detail::lowercase(type);
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

// Offset of the first byte after `lines` newline-terminated lines of `path` that start at `from`.
uint64_t skip_lines(const std::string& path, int lines, uint64_t from) {
  detail::InputFile f(path, "nrrd");
  uint64_t offset = from;
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

/// The names of a header's data files: `LIST [subdim]` (names on the header's remaining lines), a
/// numbered pattern `name%03d.raw min max step [subdim]`, or one name (which may hold spaces).
std::vector<std::string> data_file_names(const Header& h, const std::string& where) {
  const std::string& value = h.fields.at("datafile").value;
  const std::vector<std::string> w = words(value);
  const auto subdim_ok = [&](size_t at) {
    if (w.size() > at && w[at] != "2" && w[at] != "3")
      throw Error(where + ": data files of dimension " + w[at] + " are not supported (2: a slice a file, or 3)");
  };
  if (!w.empty() && w[0] == "LIST") {
    subdim_ok(1);
    if (w.size() > 2) throw Error(where + ": expected 'LIST' or 'LIST <subdim>', got '" + value + "'");
    if (h.listed_files.empty()) throw Error(where + ": 'data file: LIST' is followed by no file names");
    std::vector<std::string> names;
    for (const Field& f : h.listed_files) names.push_back(f.value);
    return names;
  }
  long long n[3];
  const auto integer = [](const std::string& t, long long& out) {
    char* end = nullptr;
    out = std::strtoll(t.c_str(), &end, 10);
    return !t.empty() && *end == '\0';
  };
  if ((w.size() == 4 || w.size() == 5) && w[0].find('%') != std::string::npos && integer(w[1], n[0]) &&
      integer(w[2], n[1]) && integer(w[3], n[2])) {
    subdim_ok(4);
    const std::string& pattern = w[0];
    // One integer conversion, %d or %i with an optional 0 flag and width, and %% for a '%'.
    int conversions = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '%') continue;
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '%') {
        i = j;
        continue;
      }
      while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j])) && j - i < 4) ++j;
      if (j >= pattern.size() || (pattern[j] != 'd' && pattern[j] != 'i'))
        throw Error(where + ": the data file pattern '" + pattern + "' must hold one %d (like slice%03d.raw)");
      ++conversions, i = j;
    }
    if (conversions != 1)
      throw Error(where + ": the data file pattern '" + pattern + "' must hold exactly one %d, it holds " +
                  std::to_string(conversions));
    for (const long long v : n)
      if (v < INT32_MIN || v > INT32_MAX) throw Error(where + ": '" + value + "': numbers out of range");
    const long long first = n[0], last = n[1], step = n[2];
    // As Teem counts: from first by step while not past last.
    if (step == 0 || (last - first) / step < 0)
      throw Error(where + ": '" + value + "': counting from " + std::to_string(first) + " by " + std::to_string(step) +
                  " never reaches " + std::to_string(last));
    const long long count = (last - first) / step + 1;
    if (count > (1 << 20)) throw Error(where + ": '" + value + "' names more than 2^20 files");
    std::vector<std::string> names;
    for (long long k = 0; k < count; ++k) {
      char name[4096];
      // The pattern holds one checked integer conversion (above); the value fits an int.
      const long long number = first + k * step; // between first and last
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      const int length = std::snprintf(name, sizeof name, pattern.c_str(), int(number));
#pragma GCC diagnostic pop
      if (length < 0 || size_t(length) >= sizeof name) throw Error(where + ": data file name too long");
      names.emplace_back(name);
    }
    return names;
  }
  return {value};
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

  // Kinds first: a 4-D file of vectors is better told what its vector axis is than its dimension.
  if (const auto* k = get("kinds")) { // a colour, vector or tensor axis makes it no scalar volume
    // NRRD's kinds whose axis holds a voxel's components; the others (domain, space, time, list,
    // point, ...) are axes of samples, rendered as they were.
    // clang-format off
    static const std::set<std::string> components = {
        "complex", "2-vector", "3-color", "rgb-color", "hsv-color", "xyz-color", "4-color", "rgba-color",
        "3-vector", "3-gradient", "3-normal", "4-vector", "quaternion", "vector", "covariant-vector", "normal",
        "2d-symmetric-matrix", "2d-masked-symmetric-matrix", "2d-matrix", "2d-masked-matrix",
        "3d-symmetric-matrix", "3d-masked-symmetric-matrix", "3d-matrix", "3d-masked-matrix"};
    // clang-format on
    const std::vector<std::string> kinds = words(*k);
    for (size_t a = 0; a < kinds.size(); ++a) {
      if (components.count(detail::lowercase(kinds[a])))
        throw Error(where("kinds") + ": axis " + std::to_string(a) + " is of kind '" + kinds[a] +
                    "': libindex renders 3-D scalar volumes (one value a voxel); make one first with Teem's unu, "
                    "e.g. the vectors' length with `unu project -a " +
                    std::to_string(a) + " -m l2` or one component with `unu slice -a " + std::to_string(a) + " -p 0`");
    }
  }
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
  const std::string encoding = detail::lowercase(need("encoding"));
  const bool ascii = encoding == "ascii" || encoding == "text" || encoding == "txt";
  // The sequential encodings: decoded from the start of the data on each read.
  std::optional<detail::StreamEncoding> stream;
  if (encoding == "gzip" || encoding == "gz") stream = detail::StreamEncoding::gzip;
  if (encoding == "bzip2" || encoding == "bz2") stream = detail::StreamEncoding::bzip2;
  if (encoding == "hex") stream = detail::StreamEncoding::hex;
  if (!stream && !ascii && encoding != "raw")
    throw Error(where("encoding") + ": encoding '" + encoding + "' is not supported (raw, gzip, bzip2, ascii or hex)");
  if (const auto* e = get("endian")) {
    const std::string endian = detail::lowercase(*e);
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
      const double v = detail::lowercase(w[a]) == "nan" ? 1.0 : std::atof(w[a].c_str()); // NaN means unknown: keep 1
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

  // Data: attached after the blank line, or detached in one or more "data file"s (relative to the
  // header). Line and byte skips apply to each file.
  int line_skip = 0;
  if (const auto* ls = get("lineskip")) line_skip = std::atoi(ls->c_str());
  long long byte_skip = 0;
  if (const auto* bs = get("byteskip")) byte_skip = std::atoll(bs->c_str());
  if (ascii && byte_skip != 0)
    throw Error(where("byteskip") + ": byte skip is not allowed with ascii encoding (line skip is)");
  if (stream && byte_skip < 0) throw Error(where("byteskip") + ": byte skip -1 is only allowed with raw encoding");
  layout.label = "nrrd";
  // One file's voxels, `dims` of them, from `start` (where its header ends, or 0) on.
  const auto open_data = [&](const std::string& file, Vec3i dims, uint64_t start) -> std::unique_ptr<VolumeSource> {
    RawLayout l = layout;
    l.path = file, l.dims = dims;
    if (line_skip > 0) start = skip_lines(file, line_skip, start);
    if (ascii) {
      l.offset = start;
      return detail::open_ascii_volume(l);
    }
    if (stream) {
      l.offset = start;
      return detail::open_encoded_volume(l, uint64_t(byte_skip), *stream, "nrrd");
    }
    const uint64_t bytes = uint64_t(dims.x) * uint64_t(dims.y) * uint64_t(dims.z) * file_type_size(l.type);
    if (byte_skip == -1) { // the data is the last `bytes` of the file
      const uint64_t size = detail::regular_file_size(file, "nrrd");
      if (size < bytes)
        throw Error("nrrd: '" + file + "' is truncated: expected " + std::to_string(bytes) + " bytes, the file has " +
                    std::to_string(size) + " bytes");
      l.offset = size - bytes;
    } else {
      l.offset = start + uint64_t(std::max(0LL, byte_skip));
    }
    l.allow_trailing = true; // NRRD states where the data starts; trailing bytes are harmless
    return open_raw(l);
  };

  std::unique_ptr<VolumeSource> inner;
  if (get("datafile")) {
    const std::vector<std::string> files = data_file_names(h, where("datafile"));
    const int count = int(files.size());
    if (layout.dims.z % count != 0)
      throw Error(where("datafile") + ": " + std::to_string(count) + " data files cannot hold " +
                  std::to_string(layout.dims.z) + " slices in equal parts");
    std::vector<std::unique_ptr<VolumeSource>> slabs;
    for (const std::string& name : files) {
      std::filesystem::path p(name);
      if (p.is_relative()) p = std::filesystem::path(path).parent_path() / p;
      std::string file = p.string();
      try { // a missing data file is the header's fault: say which header named it
        if (policy) file = policy->resolve(std::filesystem::absolute(p).lexically_normal().string());
        detail::regular_file_size(file, "data file");
      } catch (const Error& e) {
        throw Error(where("datafile") + ": " + e.what());
      }
      slabs.push_back(open_data(file, {layout.dims.x, layout.dims.y, layout.dims.z / count}, 0));
    }
    inner = detail::stack_slabs(std::move(slabs));
  } else if (detail::lowercase(std::filesystem::path(path).extension().string()) == ".nhdr") {
    throw Error("nrrd: '" + path + "': a detached header (.nhdr) needs a 'data file' field");
  } else {
    inner = open_data(path, layout.dims, h.end);
  }
  return std::make_unique<NrrdSource>(std::move(inner), spacing);
}

} // namespace libindex::io
