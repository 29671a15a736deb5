// Package xlsx exports assessment scorecards and service-level deduction lines
// to an Excel workbook (.xlsx) with github.com/xuri/excelize/v2, kept out of the
// assessment package so that the scoring core does not depend on it.
//
// The workbook has a summary sheet (汇总: rank, subject, total, grade), a detail
// sheet (明细: one row per indicator line, with the explanation sentence) and,
// when deduction lines are given, a credit sheet (扣减); with
// Options.Comparison, a comparison sheet (对比: per subject and indicator the
// change against an earlier period, from assessment.Compare, in the columns of
// assessment.WriteComparisonCSV). Headers and sheet names
// are Chinese by default and English with Options.Lang = "en". Scores, weights
// and amounts are written as numbers, so they can be summed and sorted in Excel;
// money stays in 分 (integers).
package xlsx
