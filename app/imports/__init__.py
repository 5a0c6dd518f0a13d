"""Import from spreadsheets (CSV, XLSX): companies and buyers, meetings and their outcomes."""
