// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/project_file.h"

#include <cstdlib>

#include <unistd.h>

#include <gtest/gtest.h>

#include "libindex/error.h"
#include "test_util.h"

namespace libindex::io {
namespace {

using test::error_of;
using test::TempDir;

const std::string kHead = "#! index_app_project 0\n";

ProjectFile parse(const std::string& body, const std::string& name = "scene.prj") {
  ProjectFile p;
  p.add_text(kHead + body, name);
  return p;
}

TEST(ProjectFile, HeaderIsRequiredAndNamesLineOne) {
  ProjectFile p;
  const std::string e = error_of([&] { p.add_text("a = 1\n", "bad.prj"); });
  EXPECT_CONTAINS_ALL(e, "bad.prj:1:", "#! index_app_project 0", "'a = 1'");
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_text("", "empty.prj"); }), "empty.prj:1:", "empty");
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_text("#! index_app_project 1\n", "v1.prj"); }), "v1.prj:1:");
  // A binary file's first line is shown as 60 printable characters at most.
  const std::string binary =
      error_of([&] { p.add_text(std::string("\x89PNG\r\x1a\x01\x02") + std::string(100, 'x'), "b.prj"); });
  EXPECT_CONTAINS_ALL(binary, "b.prj:1:", "got '?PNG????" + std::string(52, 'x') + "...'");
  EXPECT_TRUE(p.entries().empty());
}

TEST(ProjectFile, KeyValueSyntax) {
  const auto p = parse("# a comment\n"
                       "\n"
                       "a=1\n"
                       "  b   =   two words  \n"
                       "c =\n"
                       "d = x = y\n"
                       "   # indented comment\n"
                       "e = value # not a comment\r\n");
  EXPECT_EQ(p.get_string("a"), "1");
  EXPECT_EQ(p.get_string("b"), "two words");
  EXPECT_TRUE(p.has("c"));
  EXPECT_EQ(p.get_string("c", "fallback"), "");
  EXPECT_EQ(p.get_string("d"), "x = y");
  EXPECT_EQ(p.get_string("e"), "value # not a comment");
  EXPECT_EQ(p.entries().size(), 5u);
  EXPECT_EQ(p.find("b")->origin.to_string(), "scene.prj:5");
  EXPECT_EQ(p.find("e")->origin.line, 9);
  EXPECT_EQ(p.get_string("missing", "fb"), "fb");
}

TEST(ProjectFile, SyntaxErrorsNameFileAndLine) {
  ProjectFile p;
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_text(kHead + "a = 1\nnot a pair\n", "s.prj"); }),
                      "s.prj:3:", "'not a pair'");
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_text(kHead + "= 5\n", "s.prj"); }), "s.prj:2:", "key is empty");
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_text(kHead + "two words = 5\n", "s.prj"); }), "s.prj:2:");
  EXPECT_FALSE(p.has("a")) << "a file with an error adds nothing";
}

TEST(ProjectFile, LaterKeysOverrideEarlierOnes) {
  const auto p = parse("a = 1\nb = 2\na = 3\n");
  EXPECT_EQ(p.get_int("a", 0), 3);
  EXPECT_EQ(p.find("a")->origin.line, 4);
}

TEST(ProjectFile, ErasePrefixRemovesOneElementsKeysOnly) {
  auto p = parse("app::scene::a::x = 1\napp::scene::a::y = 2\napp::scene::ab::x = 3\napp::scene::b::x = 4\n");
  p.erase_prefix("app::scene::a::");
  EXPECT_FALSE(p.has("app::scene::a::x"));
  EXPECT_FALSE(p.has("app::scene::a::y"));
  EXPECT_EQ(p.get_int("app::scene::ab::x", 0), 3);
  EXPECT_EQ(p.get_int("app::scene::b::x", 0), 4);
  p.erase_prefix("app::scene::z::"); // nothing there: nothing happens
  EXPECT_EQ(p.entries().size(), 2u);
}

TEST(ProjectFile, FilesAreLayered) {
  TempDir dir;
  test::write_text(dir.file("a.prj"), kHead + "x = 1\ny = 2\n");
  test::write_text(dir.file("b.prj"), kHead + "# b\ny = 20\nz = 30\n");
  ProjectFile p;
  p.add_file(dir.file("a.prj"));
  p.add_file(dir.file("b.prj"));
  EXPECT_EQ(p.get_int("x", 0), 1);
  EXPECT_EQ(p.get_int("y", 0), 20);
  EXPECT_EQ(p.get_int("z", 0), 30);
  EXPECT_EQ(p.find("x")->origin.to_string(), dir.file("a.prj") + ":2");
  EXPECT_EQ(p.find("y")->origin.to_string(), dir.file("b.prj") + ":3");
  EXPECT_EQ(p.find("y")->origin.directory(), dir.path());
  ASSERT_EQ(p.files().size(), 2u);
}

// A scene saved by a Windows editor starts with a UTF-8 byte-order mark before the header.
TEST(ProjectFile, AFileMayStartWithAByteOrderMark) {
  TempDir dir;
  test::write_text(dir.file("bom.prj"), "\xEF\xBB\xBF" + kHead + "a::b = 7\n");
  ProjectFile p;
  p.add_file(dir.file("bom.prj"));
  ASSERT_TRUE(p.find("a::b"));
  EXPECT_EQ(p.find("a::b")->text, "7");
  EXPECT_EQ(p.find("a::b")->origin.line, 2);
}

TEST(ProjectFile, MissingFileAndDirectoryAreErrors) {
  TempDir dir;
  ProjectFile p;
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_file(dir.file("nope.prj")); }), dir.file("nope.prj"),
                      "No such file or directory");
  EXPECT_CONTAINS_ALL(error_of([&] { p.add_file(dir.path()); }), dir.path(), "is a directory");
}

// A file of gigabytes given as a scene (a volume with another name) is refused by its size, before
// it is read: scene.load once held such a file in memory four times over.
TEST(ProjectFile, AHugeFileIsRefusedBeforeItIsRead) {
  TempDir dir;
  const std::string path = dir.file("huge.prj");
  test::write_text(path, "#! index_app_project 0\n");
  ASSERT_EQ(truncate(path.c_str(), off_t(6) << 30), 0); // 6 GiB, sparse: nothing is written
  ProjectFile project;
  EXPECT_CONTAINS_ALL(error_of([&] { project.add_file(path); }), "huge.prj", "6144 MiB",
                      "more than the 64 MiB a project file may be");
}

TEST(ProjectFile, Heredoc) {
  const auto p = parse("cmap << (END)\n"
                       "1 0 0 1\n"
                       "  0 1 0 1\n"
                       "(END)\n"
                       "after = yes\n"
                       "other<<(EOF_MARK)\n"
                       "a = b\n"
                       "(EOF_MARK)\n"
                       "empty << (X)\n"
                       "(X)\n");
  EXPECT_EQ(p.get_string("cmap"), "1 0 0 1\n  0 1 0 1");
  EXPECT_EQ(p.find("cmap")->origin.line, 2);
  EXPECT_TRUE(p.get_bool("after", false));
  EXPECT_EQ(p.get_string("other"), "a = b") << "inside a heredoc '=' is text";
  EXPECT_FALSE(p.has("a"));
  EXPECT_EQ(p.get_string("empty", "x"), "");
  EXPECT_EQ(as_floats(*p.find("cmap")).size(), 8u);
}

TEST(ProjectFile, UnterminatedHeredocNamesItsStartLine) {
  ProjectFile p;
  const std::string e = error_of([&] { p.add_text(kHead + "a = 1\nmap::data << (END)\n1 2 3\n(ENDX)\n", "h.prj"); });
  EXPECT_CONTAINS_ALL(e, "h.prj:3:", "map::data", "(END)");
}

TEST(ProjectFile, Booleans) {
  const auto p = parse("t1 = true\nt2 = yes\nt3 = 1\nt4 = TRUE\nf1 = false\nf2 = no\nf3 = 0\nbad = maybe\n");
  for (const char* k : {"t1", "t2", "t3", "t4"}) EXPECT_TRUE(p.get_bool(k, false)) << k;
  for (const char* k : {"f1", "f2", "f3"}) EXPECT_FALSE(p.get_bool(k, true)) << k;
  EXPECT_TRUE(p.get_bool("absent", true));
  EXPECT_CONTAINS_ALL(error_of([&] { p.get_bool("bad", false); }), "scene.prj:9: bad = 'maybe': expected a boolean");
}

TEST(ProjectFile, TypedGetters) {
  const auto p = parse("i = -42\nf = 2.5e-1\nv = 1 +2 3.5\nvi = 4 5 6\nb = 0 0 0 10 20 30\nbf = -1 -1 -1 1 1 1\n");
  EXPECT_EQ(p.get_int("i", 0), -42);
  EXPECT_FLOAT_EQ(p.get_float("f", 0), 0.25f);
  const Vec3f v = p.get_vec3f("v", {});
  EXPECT_FLOAT_EQ(v.x, 1);
  EXPECT_FLOAT_EQ(v.y, 2);
  EXPECT_FLOAT_EQ(v.z, 3.5f);
  EXPECT_EQ(p.get_vec3i("vi", {}), (Vec3i{4, 5, 6}));
  EXPECT_EQ(p.get_box3i("b", {}), (Box3i{{0, 0, 0}, {10, 20, 30}}));
  const Box3f bf = p.get_box3f("bf", {});
  EXPECT_FLOAT_EQ(bf.lo.x, -1);
  EXPECT_FLOAT_EQ(bf.hi.z, 1);
  EXPECT_EQ(p.get_int("absent", 7), 7);
}

TEST(ProjectFile, TypedErrorsNameFileLineKeyAndValue) {
  const auto p = parse("\n\n\n\n\n\n\n\n\n\napp::scene::vol::bbox = 0 0 x 1 1 1\n"
                       "short = 0 0 0 1 1\n"
                       "n = 12abc\n"
                       "flipped = 0 0 0 -1 1 1\n"
                       "fi = 2.5\n");
  EXPECT_EQ(error_of([&] { p.get_box3f("app::scene::vol::bbox", {}); }),
            "scene.prj:12: app::scene::vol::bbox = '0 0 x 1 1 1': expected 6 numbers, 'x' is not a number");
  EXPECT_EQ(error_of([&] { p.get_box3f("short", {}); }),
            "scene.prj:13: short = '0 0 0 1 1': expected 6 numbers, got 5");
  EXPECT_CONTAINS_ALL(error_of([&] { p.get_float("n", 0); }), "scene.prj:14: n = '12abc'", "not a number");
  EXPECT_CONTAINS_ALL(error_of([&] { p.get_box3i("flipped", {}); }), "scene.prj:15: flipped", "upper corner");
  EXPECT_CONTAINS_ALL(error_of([&] { p.get_int("fi", 0); }), "scene.prj:16: fi = '2.5'", "not an integer");
  EXPECT_CONTAINS_ALL(error_of([&] { p.at("nothing"); }), "missing key 'nothing'", "scene.prj");
}

// Found with fuzz_project_file: a box from INT_MIN to INT_MAX passed, and its size() (hi - lo in
// int) overflowed in the scene builders.
TEST(ProjectFile, IntegerBoxesFitTheirSize) {
  const auto p = parse("wide = -2147483648 0 0 2147483647 1 1\n"
                       "widest = -1073741824 0 -5 1073741823 1 5\n"
                       "tall = 0 -2 0 1 2147483646 1\n");
  EXPECT_CONTAINS_ALL(error_of([&] { p.get_box3i("wide", {}); }),
                      "scene.prj:2: wide = '-2147483648 0 0 2147483647 1 1'", "more than 2147483647 voxels wide");
  EXPECT_EQ(p.get_box3i("widest", {}).size(), (Vec3i{2147483647, 1, 10}));
  EXPECT_CONTAINS_ALL(error_of([&] { p.get_box3i("tall", {}); }), "scene.prj:4", "voxels wide");
}

TEST(ProjectFile, CommandLineOverrides) {
  std::vector<std::string> storage = {
      "viewer",   "--add",           "a.prj", "-index::canvas_resolution", "800 600",
      "-v",       "--dice::verbose", "3",     "-app::scene::vol::bbox",    "-1 -1 -1 1 1 1",
      "data.raw", "--port=8080"};
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = int(storage.size());
  const auto pairs = parse_command_line_overrides(argc, argv.data());
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"index::canvas_resolution", "800 600"}));
  EXPECT_EQ(pairs[1], (std::pair<std::string, std::string>{"dice::verbose", "3"}));
  EXPECT_EQ(pairs[2].second, "-1 -1 -1 1 1 1");
  ASSERT_EQ(argc, 6);
  EXPECT_STREQ(argv[0], "viewer");
  EXPECT_STREQ(argv[1], "--add");
  EXPECT_STREQ(argv[2], "a.prj");
  EXPECT_STREQ(argv[3], "-v");
  EXPECT_STREQ(argv[4], "data.raw");
  EXPECT_STREQ(argv[5], "--port=8080");
  EXPECT_EQ(argv[6], nullptr);

  // Overrides win over files and say where they came from.
  auto p = parse("index::canvas_resolution = 1024 1024\n");
  p.add_overrides(pairs);
  EXPECT_EQ(as_ints(*p.find("index::canvas_resolution"), 2), (std::vector<int>{800, 600}));
  EXPECT_EQ(p.find("index::canvas_resolution")->origin.to_string(), "command line");
  p.set("index::canvas_resolution", "1 x");
  EXPECT_EQ(error_of([&] { p.get_vec3i("index::canvas_resolution", {}); }),
            "command line: index::canvas_resolution = '1 x': expected 3 integers, 'x' is not an integer");

  std::vector<std::string> missing = {"-index::scaling"};
  EXPECT_CONTAINS_ALL(error_of([&] { parse_command_line_overrides(missing); }), "-index::scaling", "needs a value");
}

TEST(ProjectFile, VariableExpansion) {
  ::setenv("INDEX_TEST_DATA", "/data/sets", 1);
  ::setenv("NVINDEX_TEST_NAME", "skull", 1);
  ::unsetenv("INDEX_TEST_UNSET");
  const std::string body = "dir = ${INDEX_TEST_DATA}/${NVINDEX_TEST_NAME}.raw\n"
                           "home = ${HOME}/x and $INDEX_TEST_DATA\n"
                           "unset = a ${INDEX_TEST_UNSET} b\n";
  const auto off = parse(body);
  EXPECT_EQ(off.get_string("dir"), "${INDEX_TEST_DATA}/${NVINDEX_TEST_NAME}.raw") << "off unless enabled";
  const auto on = parse("app::variable_expansion = true\n" + body);
  EXPECT_EQ(on.get_string("dir"), "/data/sets/skull.raw");
  EXPECT_EQ(on.get_string("home"), "${HOME}/x and $INDEX_TEST_DATA") << "other names are left alone";
  EXPECT_EQ(error_of([&] { on.get_string("unset"); }),
            "scene.prj:5: unset = 'a ${INDEX_TEST_UNSET} b': environment variable INDEX_TEST_UNSET is not set "
            "(app::variable_expansion is on)");
  // Enabled by a later layer, it applies to the earlier one too: the flag is read at lookup.
  auto layered = parse(body);
  layered.add_text(kHead + "app::variable_expansion = yes\n", "on.prj");
  EXPECT_EQ(layered.get_string("dir"), "/data/sets/skull.raw");
  EXPECT_EQ(layered.entries_with_prefix("di")[0].text, "/data/sets/skull.raw");
}

} // namespace
} // namespace libindex::io
