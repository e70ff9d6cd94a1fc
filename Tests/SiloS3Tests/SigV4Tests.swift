import Foundation
import XCTest
@testable import SiloS3

/// AWS's published examples for S3 Signature Version 4 ("Examples: Signature Calculations in
/// AWS Signature Version 4", Amazon S3 API reference), with their credentials and dates.
final class SigV4Tests: XCTestCase {
    private let signer = SigV4(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                               sessionToken: nil, region: "us-east-1")
    private let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    private let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    private func signature(_ authorization: String) -> String {
        String(authorization.split(separator: "=").last ?? "")
    }

    func testGetObjectWithRange() {
        var headers = ["Range": "bytes=0-9"]
        let authorization = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
                                        headers: &headers, payloadHash: emptyHash, date: date)
        XCTAssertEqual(signature(authorization), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertTrue(authorization.contains("Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"))
        XCTAssertTrue(authorization.contains("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"))
    }

    func testPutObject() {
        let body = Data("Welcome to Amazon S3.".utf8)
        let hash = SigV4.hex(SigV4.sha256(body))
        XCTAssertEqual(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        var headers = ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"]
        let authorization = signer.sign(method: "PUT", host: "examplebucket.s3.amazonaws.com", path: "/" + SigV4.encode("test$file.text", keepSlash: true),
                                        query: [], headers: &headers, payloadHash: hash, date: date)
        XCTAssertEqual(signature(authorization), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    func testGetBucketLifecycle() {
        var headers: [String: String] = [:]
        let authorization = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: [("lifecycle", "")],
                                        headers: &headers, payloadHash: emptyHash, date: date)
        XCTAssertEqual(signature(authorization), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    func testListObjects() {
        var headers: [String: String] = [:]
        let authorization = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/",
                                        query: [("prefix", "J"), ("max-keys", "2")], headers: &headers, payloadHash: emptyHash, date: date)
        XCTAssertEqual(signature(authorization), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    func testEncodingAndContentMD5() {
        XCTAssertEqual(SigV4.encode("a b/c~d*é", keepSlash: true), "a%20b/c~d%2A%C3%A9")
        XCTAssertEqual(SigV4.encode("a/b"), "a%2Fb")
        XCTAssertEqual(SigV4.md5Base64(Data("hello".utf8)), "XUFAKrxLKna5cZ2REBfFkg==")
    }

    func testConfigurationFromURLEnvironmentAndProfile() throws {
        let env = ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1"]
        let config = try S3Configuration(url: "s3:http://127.0.0.1:18080/bucket/some/prefix", environment: env)
        XCTAssertEqual(config.bucket, "bucket")
        XCTAssertEqual(config.prefix, "some/prefix")
        XCTAssertEqual(config.endpoint.absoluteString, "http://127.0.0.1:18080")
        XCTAssertEqual(config.region, "eu-west-1")
        XCTAssertFalse(config.description.contains("secret"))

        let file = NSTemporaryDirectory() + "silo-credentials-" + UUID().uuidString
        try "[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[backup]\naws_access_key_id = C\naws_secret_access_key = D\nregion = ap-south-1\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let profile = try S3Configuration(url: "s3:https://s3.example.org/b", environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "backup"])
        XCTAssertEqual([profile.accessKey, profile.secretKey, profile.region], ["C", "D", "ap-south-1"])
        XCTAssertThrowsError(try S3Configuration(url: "s3:https://s3.example.org/b", environment: ["AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "nope"]))
        XCTAssertThrowsError(try S3Configuration(url: "s3:ftp://x/b", environment: env))
        XCTAssertThrowsError(try S3Configuration(url: "s3:http://host", environment: env), "no bucket")
    }
}
