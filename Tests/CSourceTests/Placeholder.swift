import XCTest
final class CSourcePlaceholderTests: XCTestCase { func testNothing() {} }
