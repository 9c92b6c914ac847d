// SPDX-License-Identifier: Apache-2.0
#include "auth.h"

#include <gtest/gtest.h>

namespace libindex::streaming::auth {
namespace {

TEST(Auth, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("user:pw", "user:pw"));
  EXPECT_FALSE(constant_time_equal("user:pX", "user:pw"));
  EXPECT_FALSE(constant_time_equal("user:p", "user:pw"));
  EXPECT_FALSE(constant_time_equal("user:pw2", "user:pw"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal(std::string("a\0", 2), "a")); // an embedded NUL does not end the string
}

TEST(Auth, DecodeBasic) {
  EXPECT_EQ(decode_basic("Basic dmlld2VyOnMzY3JldA=="), "viewer:s3cret");
  EXPECT_EQ(decode_basic("basic   dmlld2VyOnMzY3JldA"), "viewer:s3cret"); // case, spaces, no padding
  EXPECT_EQ(decode_basic("Basic YTpi"), "a:b");
  EXPECT_FALSE(decode_basic("Bearer dmlld2VyOnMzY3JldA=="));
  EXPECT_FALSE(decode_basic("Basic not*base64"));
  EXPECT_FALSE(decode_basic(""));
}

TEST(Auth, CookieValue) {
  EXPECT_EQ(cookie_value("a=1; libindex_token=xyz; b=2", "libindex_token"), "xyz");
  EXPECT_EQ(cookie_value("libindex_token=xyz", "libindex_token"), "xyz");
  EXPECT_FALSE(cookie_value("xlibindex_token=xyz", "libindex_token"));
  EXPECT_FALSE(cookie_value("", "libindex_token"));
}

} // namespace
} // namespace libindex::streaming::auth
