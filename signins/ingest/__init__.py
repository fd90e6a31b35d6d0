"""Reading sign-in exports: decoding, format detection, record extraction and canonical shapes."""
