#pragma once
// Who the emulated function is: the names Lambda puts in events, ARNs and URLs.

#include <string>

namespace tsproxy::local {

struct function_identity {
  std::string name = "tsproxy-local";
  std::string version = "$LATEST";
  std::string handler = "bootstrap";
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string url_id;  // the Function URL id (apiId, domainPrefix)

  std::string arn() const { return "arn:aws:lambda:" + region + ":" + account_id + ":function:" + name; }
};

}  // namespace tsproxy::local
