// SPDX-License-Identifier: Apache-2.0
// Which files a request from the network may name: inside the roots after every symbolic link is
// followed (dangling ones and those in parent folders too), relative paths against the first root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "libindex/error.h"
#include "libindex/io/nrrd_reader.h"
#include "libindex/io/path_policy.h"
#include "libindex/io/project_file.h"
#include "libindex/io/scene.h"

using namespace libindex;
using namespace libindex::io;
namespace fs = std::filesystem;

namespace {

class PathPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base = fs::temp_directory_path() / ("libindex_paths_" + std::to_string(::getpid()));
    fs::remove_all(base);
    fs::create_directories(base / "root" / "sub");
    fs::create_directories(base / "outside");
    std::ofstream(base / "outside" / "secret.raw") << "x";
    std::ofstream(base / "root" / "sub" / "data.raw") << "y";
    root = (base / "root").string();
  }
  void TearDown() override { fs::remove_all(base); }
  std::string error_of(const PathPolicy& p, const std::string& path) {
    try {
      p.resolve(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path base;
  std::string root;
};

} // namespace

TEST_F(PathPolicyTest, InsideTheRootRelativeAndAbsolute) {
  const PathPolicy p({root});
  EXPECT_EQ(p.resolve("sub/data.raw"), root + "/sub/data.raw");
  EXPECT_EQ(p.resolve(root + "/sub/../sub/data.raw"), root + "/sub/data.raw");
  EXPECT_EQ(p.resolve("file://" + root + "/sub/data.raw"), root + "/sub/data.raw");
  EXPECT_EQ(p.resolve("sub/new.png"), root + "/sub/new.png"); // need not exist
}

TEST_F(PathPolicyTest, EscapesAreRefused) {
  const PathPolicy p({root});
  const std::string outside = " is outside the data roots (" + root + ")";
  EXPECT_EQ(error_of(p, "../outside/secret.raw"), "'../outside/secret.raw'" + outside);
  EXPECT_EQ(error_of(p, "/etc/passwd"), "'/etc/passwd'" + outside);
  EXPECT_EQ(error_of(p, root + "x/file"), "'" + root + "x/file'" + outside); // a sibling sharing the prefix
  // A link inside the root to a file outside it, a dangling one, and a linked parent folder.
  fs::create_symlink(base / "outside" / "secret.raw", base / "root" / "link.raw");
  fs::create_symlink(base / "outside" / "new.png", base / "root" / "dangling.png");
  fs::create_directory_symlink(base / "outside", base / "root" / "linked");
  EXPECT_EQ(error_of(p, "link.raw"), "'link.raw'" + outside);
  EXPECT_EQ(error_of(p, "dangling.png"), "'dangling.png'" + outside);
  EXPECT_EQ(error_of(p, "linked/secret.raw"), "'linked/secret.raw'" + outside);
  EXPECT_EQ(error_of(p, "linked/../../outside/x"), "'linked/../../outside/x'" + outside);
  EXPECT_EQ(
      error_of(p, "http://example.org/x.raw"),
      "'http://example.org/x.raw': http(s) URLs are not supported by this build; copy the file under a data root");
  EXPECT_EQ(error_of(PathPolicy(), "x"), "'x': this server reads no files (it has no data roots)");
}

TEST_F(PathPolicyTest, ALinkInsideTheRootToTheRootIsFine) {
  fs::create_symlink(base / "root" / "sub" / "data.raw", base / "root" / "alias.raw");
  EXPECT_EQ(PathPolicy({root}).resolve("alias.raw"), root + "/sub/data.raw");
}

TEST_F(PathPolicyTest, LinkLoopsEndWithAnError) {
  fs::create_symlink(base / "root" / "b", base / "root" / "a");
  fs::create_symlink(base / "root" / "a", base / "root" / "b");
  EXPECT_NE(error_of(PathPolicy({root}), "a").find("too many levels of symbolic links"), std::string::npos);
}

TEST_F(PathPolicyTest, AScenesFilesObeyItsPolicy) {
  // A .prj inside the root that names a file outside it loads only without a policy.
  const std::string prj = root + "/s.prj";
  std::ofstream(prj) << "#! index_app_project 0\n"
                        "app::scene::root::children = v\n"
                        "app::scene::v::type = sparse_volume\n"
                        "app::scene::v::importer = raw\n"
                        "app::scene::v::voxel_format = uint8\n"
                        "app::scene::v::bbox = 0 0 0 1 1 1\n"
                        "app::scene::v::input_file = ../outside/secret.raw\n";
  ProjectFile trusted;
  trusted.add_file(prj);
  EXPECT_EQ(load_scene(trusted).volumes.size(), 1u);
  ProjectFile restricted;
  restricted.add_file(prj, std::make_shared<const PathPolicy>(std::vector<std::string>{root}));
  try {
    load_scene(restricted);
    ADD_FAILURE() << "a network scene read a file outside the roots";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), prj +
                                         ":7: app::scene::v::input_file = '../outside/secret.raw': "
                                         "'../outside/secret.raw' is outside the data roots (" +
                                         root + ")");
  }
}

TEST_F(PathPolicyTest, ANrrdHeadersDataFileObeysThePolicy) {
  // A detached header inside the root whose 'data file' lies outside it, directly or through a link.
  const auto header = [&](const std::string& name, const std::string& data_file) {
    std::ofstream(root + "/" + name) << "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1 1 1\nencoding: raw\n"
                                        "data file: "
                                     << data_file << "\n";
    return root + "/" + name;
  };
  const auto policy = std::make_shared<const PathPolicy>(std::vector<std::string>{root});
  const std::string outside = header("out.nhdr", "../outside/secret.raw");
  EXPECT_NE(open_nrrd(outside), nullptr); // a trusted header may name any file
  const std::string real_root = real_path(root), real_base = real_path(base.string());
  try {
    open_nrrd(outside, policy.get());
    ADD_FAILURE() << "a network header's data file outside the roots was opened";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "nrrd: '" + outside + ":6': '" + real_base +
                                         "/outside/secret.raw' is outside the data roots (" + real_root + ")");
  }
  fs::create_symlink(base / "outside" / "secret.raw", base / "root" / "link.raw");
  const std::string linked = header("link.nhdr", "link.raw");
  EXPECT_THROW(open_nrrd(linked, policy.get()), Error);
  const std::string inside = header("in.nhdr", "sub/data.raw");
  EXPECT_EQ(open_nrrd(inside, policy.get())->box().size().x, 1);

  // The same through a scene that came over the network.
  std::ofstream(root + "/n.prj") << "#! index_app_project 0\n"
                                    "app::scene::root::children = v\n"
                                    "app::scene::v::type = sparse_volume\n"
                                    "app::scene::v::importer = nrrd\n"
                                    "app::scene::v::input_file = out.nhdr\n";
  ProjectFile restricted;
  restricted.add_file(root + "/n.prj", policy);
  try {
    load_scene(restricted);
    ADD_FAILURE() << "a network scene's NRRD header read a data file outside the roots";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/outside/secret.raw' is outside the data roots"), std::string::npos)
        << e.what();
  }
  ProjectFile trusted;
  trusted.add_file(root + "/n.prj");
  EXPECT_EQ(load_scene(trusted).volumes.size(), 1u);
}
