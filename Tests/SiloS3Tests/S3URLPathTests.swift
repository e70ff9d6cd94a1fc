import Foundation
import XCTest
@testable import SiloS3

/// An S3 repository URL has one spelling per place: every other spelling that would address
/// the same objects (or that a server may resolve to other ones) is refused, not read as it.
final class S3URLPathTests: XCTestCase {
    private let env = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"]

    private func place(_ path: String) throws -> String {
        let config = try S3Configuration(url: "s3:http://127.0.0.1:18080" + path, environment: env)
        return config.bucket + "|" + config.prefix
    }

    func testOneSpellingIsRead() throws {
        XCTAssertEqual(try place("/b"), "b|")
        XCTAssertEqual(try place("/b/"), "b|", "one trailing slash is allowed")
        XCTAssertEqual(try place("/b/a/c"), "b|a/c")
        XCTAssertEqual(try place("/b/a%20c"), "b|a c")
        XCTAssertEqual(try place("/b/%C3%A9t%C3%A9"), "b|été")
        XCTAssertEqual(try place("/b/a;c=d@e:f"), "b|a;c=d@e:f")
    }

    func testOtherSpellingsAreRefused() {
        let refused = [
            "/b/a?c", "/b/a#c", "/b/a?", // dropped: the same as /b/a
            "/b/a//c", "//b", "/", "/b//", // empty segments: a//c was read as a/c
            "/b/./a", "/b/a/..", "/b/%2E/a", // resolved away by a server
            "/b/a%2Fc", "/b/a%2fc", // the same as a/c
            "/b/%61", "/b/a%7E", "/b/a%3a", // escapes of characters written as they are
            "/b/a b", "/b/été", "/b/a%", "/b/a%4", "/b/a%zz", // unescaped, or broken escapes
        ]
        for path in refused {
            XCTAssertThrowsError(try place(path), path) { error in
                XCTAssertTrue("\(error)".contains("S3 URL"), "\(path): \(error)")
            }
        }
        XCTAssertThrowsError(try S3Configuration(url: "s3:http://user:secret@127.0.0.1:18080/b/a", environment: env)) { error in
            XCTAssertTrue("\(error)".contains("user name or password"), "\(error)")
            XCTAssertFalse("\(error)".contains("secret"), "the password is not repeated")
        }
    }
}
