import NIOCore

extension ByteBuffer {
    /// `text` as a JSON string, quoted and escaped (RFC 8259: the quote, the backslash and control characters), for
    /// answers assembled from parts already encoded.
    mutating func writeJSONString(_ text: String) {
        writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): writeStaticString("\\\"")
                case UInt8(ascii: "\\"): writeStaticString("\\\\")
                case UInt8(ascii: "\n"): writeStaticString("\\n")
                case UInt8(ascii: "\r"): writeStaticString("\\r")
                case UInt8(ascii: "\t"): writeStaticString("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                }
                start = index + 1
            }
            writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        writeInteger(UInt8(ascii: "\""))
    }
}
