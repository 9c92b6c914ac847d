// SPDX-License-Identifier: Apache-2.0
// Test web root for server_test only: checks the MIME type of ES modules.
export const answer = 42;
