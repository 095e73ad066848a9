// The key's file for `tailscale up`: private to the user, gone with the object.

#include "extension/secret_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace tsproxy::extension {
namespace {

TEST(SecretFile, PrivateAndRemovedWithItsFolder) {
  std::string path;
  std::string dir;
  {
    secret_file file;
    ASSERT_FALSE(file.create("/tmp", "tskey-auth-x?ephemeral=true"));
    path = file.path();
    dir = std::filesystem::path(path).parent_path();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str(), "tskey-auth-x?ephemeral=true");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(SecretFile, AFolderThatCannotBeWrittenIsAnError) {
  secret_file file;
  EXPECT_TRUE(file.create("/nonexistent-folder", "k"));
  EXPECT_TRUE(file.path().empty());
}

}  // namespace
}  // namespace tsproxy::extension
