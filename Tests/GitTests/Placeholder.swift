import XCTest
final class GitPlaceholderTests: XCTestCase { func testNothing() {} }
