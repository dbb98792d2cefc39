import Foundation
import TestSupport
@testable import Marts
import State
import Testing

/// The pieces of the de-identified export on their own: SHA-256 and HMAC against published
/// test vectors, and each Safe Harbor rule on single values.
@Suite("De-identification rules")
struct SafeHarborRuleTests {
    @Test("SHA-256 matches FIPS 180-4 examples and HMAC-SHA-256 the RFC 4231 test cases")
    func vectors() {
        #expect(SHA256.hex(SHA256.digest(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(SHA256.digest([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(SHA256.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // RFC 4231 test case 1 and 2; 6 uses a key longer than the block.
        #expect(SHA256.hex(SHA256.hmac(key: [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(SHA256.hex(SHA256.hmac(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(SHA256.hex(SHA256.hmac(key: [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test("ZIP codes keep three digits, 000 for the 17 restricted areas; years only; ages capped; birth years over 89 hidden")
    func valueRules() throws {
        #expect(SafeHarbor.zip3(.text("02139")) == .text("021"))
        #expect(SafeHarbor.zip3(.text("03601")) == .text("000"))
        #expect(SafeHarbor.zip3(.text("89301-1234")) == .text("000"))
        #expect(SafeHarbor.zip3(.text("12")) == .null && SafeHarbor.zip3(.null) == .null)
        #expect(SafeHarbor.restrictedZIP3.count == 17)
        #expect(SafeHarbor.year(.text("2019-03-04T10:11:12Z")) == .text("2019") && SafeHarbor.year(.text("2019-03-04")) == .text("2019"))
        #expect(SafeHarbor.cappedAge(.integer(89)) == .integer(89) && SafeHarbor.cappedAge(.integer(97)) == .integer(90))
        let day = try #require(SafeHarbor.day(.text("2026-06-15")))
        #expect(SafeHarbor.birthYear(.text("1936-06-15"), at: day) == .null, "90 on the day")
        #expect(SafeHarbor.birthYear(.text("1936-06-14"), at: day) == .null, "90 the day before")
        #expect(SafeHarbor.birthYear(.text("1936-06-16"), at: day) == .text("1936"), "89 until the next day")
        #expect(SafeHarbor.birthYear(.text("1937-06-15"), at: day) == .text("1937"), "89 on the day")
        let key = try PseudonymKey(bytes: Array("0123456789abcdef".utf8))
        #expect(key.pseudonym("a") != key.pseudonym("b") && key.pseudonym("a").count == 64)
        #expect(throws: ExportError.self) { try PseudonymKey(bytes: Array("short".utf8)) }
        #expect(!"\(key)".contains("0123456789abcdef"))
    }
}
