//! Carnet reports: the CNSA collection workbook and the signed PDF/A proof.
