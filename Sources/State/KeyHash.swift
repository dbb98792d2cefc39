import CSQLite

/// A 64-bit hash of a natural key's UTF-8 bytes (FNV-1a, then MurmurHash3's 64-bit finalizer so
/// that every bit of the result depends on every byte), as a signed SQLite integer.
///
/// The current versions of encounters, conditions and medications are found by it: an index of
/// 8-byte numbers is a third to a tenth of the size of one of the keys' text (36 to 120 bytes of
/// random UUIDs), so far more of it stays in the page cache as the state grows. Two keys may
/// share a hash, so a look-up always compares the key too. The value is stored: it must never
/// change (a test holds it to fixed values). Registered on every state connection as the SQL
/// function `emr_key_hash(text)` (NULL for NULL).
public enum KeyHash {
    /// The hash of `key`.
    public static func of(_ key: String) -> Int64 {
        var key = key
        return key.withUTF8 { of(bytes: $0) }
    }

    /// The hash of the UTF-8 bytes.
    public static func of(bytes: UnsafeBufferPointer<UInt8>) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Int64(bitPattern: hash)
    }
}

extension SQLiteDatabase {
    /// Registers `emr_key_hash(text)` on this connection.
    func registerKeyHashFunction() throws(StateError) {
        let rc = sqlite3_create_function_v2(handleForExtensions, "emr_key_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, { context, _, arguments in
            guard let value = arguments?[0], sqlite3_value_type(value) != SQLITE_NULL else {
                sqlite3_result_null(context)
                return
            }
            let text = sqlite3_value_text(value)
            let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(value)))
            sqlite3_result_int64(context, KeyHash.of(bytes: bytes))
        }, nil, nil, nil)
        if rc != SQLITE_OK {
            throw StateError(.open, path: path, code: rc, message: "cannot register emr_key_hash: \(lastMessage)")
        }
    }
}
