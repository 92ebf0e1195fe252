//! Parquet inventory files through the `parquet` crate's row reader, over
//! ranged GETs: the footer, then only the columns atrest uses, page by page
//! (see [`super::remote::Blocks`]).

use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, FileReader, Length, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::Field;
use parquet::schema::types::Type;

use super::remote::{BlockRead, Blocks, RemoteFile};
use super::{field_of, Column, Record};

struct Chunks(Arc<Blocks>);

impl Length for Chunks {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl ChunkReader for Chunks {
    type T = BlockRead;

    fn get_read(&self, start: u64) -> parquet::errors::Result<BlockRead> {
        Ok(BlockRead::new(Arc::clone(&self.0), start))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let got = self.0.bytes(start, length)?;
        if got.len() < length {
            return Err(ParquetError::EOF(format!(
                "wanted {length} bytes at {start}, the file has {}",
                self.0.len()
            )));
        }
        Ok(got)
    }
}

/// The rows of one Parquet file, with only the columns atrest reads.
pub(super) struct Rows {
    rows: RowIter<'static>,
    /// Which [`Column`] each projected column is, by position.
    columns: Vec<Option<Column>>,
}

impl Rows {
    pub(super) fn open(file: RemoteFile) -> Result<Rows, String> {
        let reader = SerializedFileReader::new(Chunks(Arc::new(Blocks::new(file))))
            .map_err(|e| e.to_string())?;
        let schema = reader.metadata().file_metadata().schema();
        let fields: Vec<Arc<Type>> = schema
            .get_fields()
            .iter()
            .filter(|f| f.is_primitive() && field_of(f.name()).is_some())
            .cloned()
            .collect();
        let columns = fields.iter().map(|f| field_of(f.name())).collect();
        let projection = Type::group_type_builder(schema.name())
            .with_fields(fields)
            .build()
            .map_err(|e| e.to_string())?;
        let rows = RowIter::from_file_into(Box::new(reader))
            .project(Some(projection))
            .map_err(|e| e.to_string())?;
        Ok(Rows { rows, columns })
    }

    /// The columns found, for checking that the file has what atrest needs.
    pub(super) fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns.iter().flatten().copied()
    }
}

impl Iterator for Rows {
    type Item = Result<Record, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = match self.rows.next()? {
            Ok(row) => row,
            Err(e) => return Some(Err(e.to_string())),
        };
        let mut record = Record::default();
        for ((_, field), column) in row.get_column_iter().zip(&self.columns) {
            if let Some(column) = column {
                if let Some(text) = text_of(field) {
                    record.set(*column, text);
                }
            }
        }
        Some(Ok(record))
    }
}

/// A cell as text: inventories store numbers, booleans and timestamps
/// (milliseconds since the epoch) in varying physical types.
fn text_of(field: &Field) -> Option<String> {
    Some(match field {
        Field::Null => return None,
        Field::Bool(b) => b.to_string(),
        Field::Byte(n) => n.to_string(),
        Field::Short(n) => n.to_string(),
        Field::Int(n) => n.to_string(),
        Field::Long(n) => n.to_string(),
        Field::UByte(n) => n.to_string(),
        Field::UShort(n) => n.to_string(),
        Field::UInt(n) => n.to_string(),
        Field::ULong(n) => n.to_string(),
        Field::Str(s) => s.clone(),
        Field::Bytes(b) => String::from_utf8_lossy(b.data()).into_owned(),
        Field::TimestampMillis(ms) => ms.to_string(),
        Field::TimestampMicros(us) => (us / 1000).to_string(),
        other => other.to_string(),
    })
}
