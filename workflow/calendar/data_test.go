package calendar

// Tests of the embedded national data (data/cn.json) against the State Council
// notices, read by hand (see data/SOURCES.md). Every expected value below is
// transcribed from the notice text, not computed by a rule. The tests use only
// the public API: China, ParseDate, Calendar.Day, Calendar.IsWorkday,
// Calendar.Coverage, Calendar.Notices and Load.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Notice ids, as printed on the notices.
const (
	cndN2015 = "国办发明电〔2014〕28号" // 国务院办公厅关于2015年部分节假日安排的通知
	cndV2015 = "国发明电〔2015〕1号"   // 国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知
	cndN2016 = "国办发明电〔2015〕18号"
	cndN2017 = "国办发明电〔2016〕17号"
	cndN2018 = "国办发明电〔2017〕12号"
	cndN2019 = "国办发明电〔2018〕15号"
	cndM2019 = "国办发明电〔2019〕3号" // 国务院办公厅关于调整2019年劳动节假期安排的通知
	cndN2020 = "国办发明电〔2019〕16号"
	cndE2020 = "国办发明电〔2020〕1号" // 国务院办公厅关于延长2020年春节假期的通知
	cndN2021 = "国办发明电〔2020〕27号"
	cndN2022 = "国办发明电〔2021〕11号"
	cndN2023 = "国办发明电〔2022〕16号"
	cndN2024 = "国办发明电〔2023〕7号"
	cndN2025 = "国办发明电〔2024〕12号"
	cndN2026 = "国办发明电〔2025〕7号"
)

// Holiday names, as the notices head their items.
const (
	cndYD   = "元旦"
	cndCJ   = "春节"
	cndQM   = "清明节"
	cndLD   = "劳动节"
	cndDW   = "端午节"
	cndZQ   = "中秋节"
	cndGQ   = "国庆节"
	cndZQGQ = "中秋节、国庆节" // 2017, 2023
	cndGQZQ = "国庆节、中秋节" // 2020, 2025
	cndKZ   = "抗战胜利70周年纪念日"
)

// cndDay is what the calendar says about one date.
type cndDay struct {
	Date    string
	Kind    Kind
	Name    string
	Notice  string
	Workday bool
}

// cndHol is a rest day set by a notice.
func cndHol(date, name, notice string) cndDay {
	return cndDay{Date: date, Kind: KindHoliday, Name: name, Notice: notice}
}

// cndAdj is a weekend day a notice makes a working day (调休上班).
func cndAdj(date, name, notice string) cndDay {
	return cndDay{Date: date, Kind: KindAdjustedWorkday, Name: name, Notice: notice, Workday: true}
}

// cndWeekday and cndWeekend are days no notice touches: an ordinary
// Monday–Friday working day and an ordinary Saturday/Sunday rest day (cndCheck
// verifies that the table's choice matches the date's weekday).
func cndWeekday(date string) cndDay { return cndDay{Date: date, Kind: KindWorkday, Workday: true} }
func cndWeekend(date string) cndDay { return cndDay{Date: date, Kind: KindWeekend} }

func cndDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

// cndObserve asks the calendar about date s through Day and IsWorkday.
func cndObserve(t *testing.T, c *Calendar, s string) cndDay {
	t.Helper()
	d := cndDate(t, s)
	info, err := c.Day(d)
	if err != nil {
		t.Fatalf("Day(%s): %v", s, err)
	}
	work, err := c.IsWorkday(d)
	if err != nil {
		t.Fatalf("IsWorkday(%s): %v", s, err)
	}
	if work != info.Workday {
		t.Errorf("%s: IsWorkday = %v but Day().Workday = %v", s, work, info.Workday)
	}
	if info.Date != d {
		t.Errorf("Day(%s).Date = %s", s, info.Date)
	}
	return cndDay{Date: s, Kind: info.Kind, Name: info.Name, Notice: info.Notice, Workday: work}
}

func cndCheck(t *testing.T, want []cndDay) {
	t.Helper()
	c := China()
	got := make([]cndDay, 0, len(want))
	for _, w := range want {
		// Guard the table itself: an untouched day's kind must match its weekday.
		if w.Notice == "" {
			wd := cndDate(t, w.Date).Weekday()
			if weekend := wd == time.Saturday || wd == time.Sunday; weekend != (w.Kind == KindWeekend) {
				t.Fatalf("test table: %s is a %s, not %s", w.Date, wd, w.Kind.English())
			}
		}
		got = append(got, cndObserve(t, c, w.Date))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calendar disagrees with the notice (-notice +calendar):\n%s", diff)
	}
}

// cndYears holds, per year, each holiday block and 调休 day across its
// boundaries: the day before a block, its first and last day, the day after,
// each 调休 weekend day and the ordinary weekend day next to it.
var cndYears = map[int][]cndDay{
	2015: {
		// 一、元旦:1月1日至3日放假调休,共3天。1月4日(星期日)上班。
		cndHol("2015-01-01", cndYD, cndN2015), cndHol("2015-01-03", cndYD, cndN2015),
		cndAdj("2015-01-04", cndYD, cndN2015), cndWeekday("2015-01-05"),
		// 二、春节:2月18日至24日放假调休,共7天。2月15日(星期日)、2月28日(星期六)上班。
		cndWeekend("2015-02-14"), cndAdj("2015-02-15", cndCJ, cndN2015), cndWeekday("2015-02-17"),
		cndHol("2015-02-18", cndCJ, cndN2015), cndHol("2015-02-24", cndCJ, cndN2015), cndWeekday("2015-02-25"),
		cndWeekday("2015-02-27"), cndAdj("2015-02-28", cndCJ, cndN2015), cndWeekend("2015-03-01"),
		// 三、清明节:4月5日放假,4月6日(星期一)补休。
		cndWeekday("2015-04-03"), cndWeekend("2015-04-04"), cndHol("2015-04-05", cndQM, cndN2015),
		cndHol("2015-04-06", cndQM, cndN2015), cndWeekday("2015-04-07"),
		// 四、劳动节:5月1日放假,与周末连休。
		cndWeekday("2015-04-30"), cndHol("2015-05-01", cndLD, cndN2015), cndWeekend("2015-05-02"),
		cndWeekend("2015-05-03"), cndWeekday("2015-05-04"),
		// 五、端午节:6月20日放假,6月22日(星期一)补休。
		cndWeekday("2015-06-19"), cndHol("2015-06-20", cndDW, cndN2015), cndWeekend("2015-06-21"),
		cndHol("2015-06-22", cndDW, cndN2015), cndWeekday("2015-06-23"),
		// 国发明电〔2015〕1号: 9月3日至5日调休放假,共3天 … 9月6日(星期日)上班。
		cndWeekday("2015-09-02"), cndHol("2015-09-03", cndKZ, cndV2015), cndHol("2015-09-05", cndKZ, cndV2015),
		cndAdj("2015-09-06", cndKZ, cndV2015), cndWeekday("2015-09-07"),
		// 六、中秋节:9月27日放假。
		cndWeekend("2015-09-26"), cndHol("2015-09-27", cndZQ, cndN2015), cndWeekday("2015-09-28"),
		// 七、国庆节:10月1日至7日放假调休,共7天。10月10日(星期六)上班。
		cndWeekday("2015-09-30"), cndHol("2015-10-01", cndGQ, cndN2015), cndHol("2015-10-07", cndGQ, cndN2015),
		cndWeekday("2015-10-08"), cndWeekday("2015-10-09"), cndAdj("2015-10-10", cndGQ, cndN2015),
		cndWeekend("2015-10-11"),
	},
	2016: {
		// 一、元旦:1月1日放假,与周末连休。
		cndWeekday("2015-12-31"), cndHol("2016-01-01", cndYD, cndN2016), cndWeekend("2016-01-02"),
		cndWeekend("2016-01-03"), cndWeekday("2016-01-04"),
		// 二、春节:2月7日至13日放假调休,共7天。2月6日(星期六)、2月14日(星期日)上班。
		cndWeekday("2016-02-05"), cndAdj("2016-02-06", cndCJ, cndN2016), cndHol("2016-02-07", cndCJ, cndN2016),
		cndHol("2016-02-13", cndCJ, cndN2016), cndAdj("2016-02-14", cndCJ, cndN2016), cndWeekday("2016-02-15"),
		// 三、清明节:4月4日放假,与周末连休。
		cndWeekday("2016-04-01"), cndWeekend("2016-04-02"), cndWeekend("2016-04-03"),
		cndHol("2016-04-04", cndQM, cndN2016), cndWeekday("2016-04-05"),
		// 四、劳动节:5月1日放假,5月2日(星期一)补休。
		cndWeekday("2016-04-29"), cndWeekend("2016-04-30"), cndHol("2016-05-01", cndLD, cndN2016),
		cndHol("2016-05-02", cndLD, cndN2016), cndWeekday("2016-05-03"),
		// 五、端午节:6月9日至11日放假调休,共3天。6月12日(星期日)上班。
		cndWeekday("2016-06-08"), cndHol("2016-06-09", cndDW, cndN2016), cndHol("2016-06-11", cndDW, cndN2016),
		cndAdj("2016-06-12", cndDW, cndN2016), cndWeekday("2016-06-13"),
		// 六、中秋节:9月15日至17日放假调休,共3天。9月18日(星期日)上班。
		cndWeekday("2016-09-14"), cndHol("2016-09-15", cndZQ, cndN2016), cndHol("2016-09-17", cndZQ, cndN2016),
		cndAdj("2016-09-18", cndZQ, cndN2016), cndWeekday("2016-09-19"),
		// 七、国庆节:10月1日至7日放假调休,共7天。10月8日(星期六)、10月9日(星期日)上班。
		cndWeekday("2016-09-30"), cndHol("2016-10-01", cndGQ, cndN2016), cndHol("2016-10-07", cndGQ, cndN2016),
		cndAdj("2016-10-08", cndGQ, cndN2016), cndAdj("2016-10-09", cndGQ, cndN2016), cndWeekday("2016-10-10"),
	},
	2017: {
		// 一、元旦:1月1日放假,1月2日(星期一)补休。
		cndWeekend("2016-12-31"), cndHol("2017-01-01", cndYD, cndN2017), cndHol("2017-01-02", cndYD, cndN2017),
		cndWeekday("2017-01-03"),
		// 二、春节:1月27日至2月2日放假调休,共7天。1月22日(星期日)、2月4日(星期六)上班。
		cndWeekend("2017-01-21"), cndAdj("2017-01-22", cndCJ, cndN2017), cndWeekday("2017-01-26"),
		cndHol("2017-01-27", cndCJ, cndN2017), cndHol("2017-02-02", cndCJ, cndN2017), cndWeekday("2017-02-03"),
		cndAdj("2017-02-04", cndCJ, cndN2017), cndWeekend("2017-02-05"),
		// 三、清明节:4月2日至4日放假调休,共3天。4月1日(星期六)上班。
		cndWeekday("2017-03-31"), cndAdj("2017-04-01", cndQM, cndN2017), cndHol("2017-04-02", cndQM, cndN2017),
		cndHol("2017-04-04", cndQM, cndN2017), cndWeekday("2017-04-05"),
		// 四、劳动节:5月1日放假,与周末连休。
		cndWeekend("2017-04-29"), cndWeekend("2017-04-30"), cndHol("2017-05-01", cndLD, cndN2017),
		cndWeekday("2017-05-02"),
		// 五、端午节:5月28日至30日放假调休,共3天。5月27日(星期六)上班。
		cndWeekday("2017-05-26"), cndAdj("2017-05-27", cndDW, cndN2017), cndHol("2017-05-28", cndDW, cndN2017),
		cndHol("2017-05-30", cndDW, cndN2017), cndWeekday("2017-05-31"),
		// 六、中秋节、国庆节:10月1日至8日放假调休,共8天。9月30日(星期六)上班。
		cndWeekday("2017-09-29"), cndAdj("2017-09-30", cndZQGQ, cndN2017), cndHol("2017-10-01", cndZQGQ, cndN2017),
		cndHol("2017-10-04", cndZQGQ, cndN2017), cndHol("2017-10-08", cndZQGQ, cndN2017), cndWeekday("2017-10-09"),
	},
	2018: {
		// 一、元旦:1月1日放假,与周末连休。
		cndWeekday("2017-12-29"), cndWeekend("2017-12-30"), cndWeekend("2017-12-31"),
		cndHol("2018-01-01", cndYD, cndN2018), cndWeekday("2018-01-02"),
		// 二、春节:2月15日至21日放假调休,共7天。2月11日(星期日)、2月24日(星期六)上班。
		cndWeekend("2018-02-10"), cndAdj("2018-02-11", cndCJ, cndN2018), cndWeekday("2018-02-14"),
		cndHol("2018-02-15", cndCJ, cndN2018), cndHol("2018-02-21", cndCJ, cndN2018), cndWeekday("2018-02-22"),
		cndAdj("2018-02-24", cndCJ, cndN2018), cndWeekend("2018-02-25"),
		// 三、清明节:4月5日至7日放假调休,共3天。4月8日(星期日)上班。
		cndWeekday("2018-04-04"), cndHol("2018-04-05", cndQM, cndN2018), cndHol("2018-04-07", cndQM, cndN2018),
		cndAdj("2018-04-08", cndQM, cndN2018), cndWeekday("2018-04-09"),
		// 四、劳动节:4月29日至5月1日放假调休,共3天。4月28日(星期六)上班。
		cndWeekday("2018-04-27"), cndAdj("2018-04-28", cndLD, cndN2018), cndHol("2018-04-29", cndLD, cndN2018),
		cndHol("2018-05-01", cndLD, cndN2018), cndWeekday("2018-05-02"),
		// 五、端午节:6月18日放假,与周末连休。
		cndWeekend("2018-06-16"), cndWeekend("2018-06-17"), cndHol("2018-06-18", cndDW, cndN2018),
		cndWeekday("2018-06-19"),
		// 六、中秋节:9月24日放假,与周末连休。
		cndWeekend("2018-09-22"), cndWeekend("2018-09-23"), cndHol("2018-09-24", cndZQ, cndN2018),
		cndWeekday("2018-09-25"),
		// 七、国庆节:10月1日至7日放假调休,共7天。9月29日(星期六)、9月30日(星期日)上班。
		cndWeekday("2018-09-28"), cndAdj("2018-09-29", cndGQ, cndN2018), cndAdj("2018-09-30", cndGQ, cndN2018),
		cndHol("2018-10-01", cndGQ, cndN2018), cndHol("2018-10-07", cndGQ, cndN2018), cndWeekday("2018-10-08"),
	},
	2019: {
		// 一、元旦:2018年12月30日至2019年1月1日放假调休,共3天。2018年12月29日(星期六)上班。
		cndWeekday("2018-12-28"), cndAdj("2018-12-29", cndYD, cndN2019), cndHol("2018-12-30", cndYD, cndN2019),
		cndHol("2019-01-01", cndYD, cndN2019), cndWeekday("2019-01-02"),
		// 二、春节:2月4日至10日放假调休,共7天。2月2日(星期六)、2月3日(星期日)上班。
		cndWeekday("2019-02-01"), cndAdj("2019-02-02", cndCJ, cndN2019), cndAdj("2019-02-03", cndCJ, cndN2019),
		cndHol("2019-02-04", cndCJ, cndN2019), cndHol("2019-02-10", cndCJ, cndN2019), cndWeekday("2019-02-11"),
		// 三、清明节:4月5日放假,与周末连休。
		cndWeekday("2019-04-04"), cndHol("2019-04-05", cndQM, cndN2019), cndWeekend("2019-04-06"),
		cndWeekend("2019-04-07"), cndWeekday("2019-04-08"),
		// 劳动节, as amended by 国办发明电〔2019〕3号: 5月1日至4日放假调休,共4天。4月28日(星期日)、5月5日(星期日)上班。
		cndWeekend("2019-04-27"), cndAdj("2019-04-28", cndLD, cndM2019), cndWeekday("2019-04-30"),
		cndHol("2019-05-01", cndLD, cndM2019), cndHol("2019-05-04", cndLD, cndM2019),
		cndAdj("2019-05-05", cndLD, cndM2019), cndWeekday("2019-05-06"),
		// 五、端午节:6月7日放假,与周末连休。
		cndWeekday("2019-06-06"), cndHol("2019-06-07", cndDW, cndN2019), cndWeekend("2019-06-08"),
		cndWeekday("2019-06-10"),
		// 六、中秋节:9月13日放假,与周末连休。
		cndWeekday("2019-09-12"), cndHol("2019-09-13", cndZQ, cndN2019), cndWeekend("2019-09-14"),
		cndWeekday("2019-09-16"),
		// 七、国庆节:10月1日至7日放假调休,共7天。9月29日(星期日)、10月12日(星期六)上班。
		cndWeekend("2019-09-28"), cndAdj("2019-09-29", cndGQ, cndN2019), cndWeekday("2019-09-30"),
		cndHol("2019-10-01", cndGQ, cndN2019), cndHol("2019-10-07", cndGQ, cndN2019), cndWeekday("2019-10-08"),
		cndAdj("2019-10-12", cndGQ, cndN2019), cndWeekend("2019-10-13"),
	},
	2020: {
		// 一、元旦:2020年1月1日放假,共1天。
		cndWeekday("2019-12-31"), cndHol("2020-01-01", cndYD, cndN2020), cndWeekday("2020-01-02"),
		// 二、春节:1月24日至30日放假调休,共7天。1月19日(星期日)、2月1日(星期六)上班。
		// 国办发明电〔2020〕1号: 延长2020年春节假期至2月2日(星期日),2月3日(星期一)起正常上班。
		cndWeekend("2020-01-18"), cndAdj("2020-01-19", cndCJ, cndN2020), cndWeekday("2020-01-23"),
		cndHol("2020-01-24", cndCJ, cndN2020), cndHol("2020-01-30", cndCJ, cndN2020),
		cndHol("2020-01-31", cndCJ, cndE2020), cndHol("2020-02-01", cndCJ, cndE2020),
		cndHol("2020-02-02", cndCJ, cndE2020), cndWeekday("2020-02-03"),
		// 三、清明节:4月4日至6日放假调休,共3天。
		cndWeekday("2020-04-03"), cndHol("2020-04-04", cndQM, cndN2020), cndHol("2020-04-06", cndQM, cndN2020),
		cndWeekday("2020-04-07"),
		// 四、劳动节:5月1日至5日放假调休,共5天。4月26日(星期日)、5月9日(星期六)上班。
		cndWeekend("2020-04-25"), cndAdj("2020-04-26", cndLD, cndN2020), cndWeekday("2020-04-30"),
		cndHol("2020-05-01", cndLD, cndN2020), cndHol("2020-05-05", cndLD, cndN2020), cndWeekday("2020-05-06"),
		cndAdj("2020-05-09", cndLD, cndN2020), cndWeekend("2020-05-10"),
		// 五、端午节:6月25日至27日放假调休,共3天。6月28日(星期日)上班。
		cndWeekday("2020-06-24"), cndHol("2020-06-25", cndDW, cndN2020), cndHol("2020-06-27", cndDW, cndN2020),
		cndAdj("2020-06-28", cndDW, cndN2020), cndWeekday("2020-06-29"),
		// 六、国庆节、中秋节:10月1日至8日放假调休,共8天。9月27日(星期日)、10月10日(星期六)上班。
		cndWeekend("2020-09-26"), cndAdj("2020-09-27", cndGQZQ, cndN2020), cndWeekday("2020-09-30"),
		cndHol("2020-10-01", cndGQZQ, cndN2020), cndHol("2020-10-08", cndGQZQ, cndN2020), cndWeekday("2020-10-09"),
		cndAdj("2020-10-10", cndGQZQ, cndN2020), cndWeekend("2020-10-11"),
	},
	2021: {
		// 一、元旦:2021年1月1日至3日放假,共3天。
		cndWeekday("2020-12-31"), cndHol("2021-01-01", cndYD, cndN2021), cndHol("2021-01-03", cndYD, cndN2021),
		cndWeekday("2021-01-04"),
		// 二、春节:2月11日至17日放假调休,共7天。2月7日(星期日)、2月20日(星期六)上班。
		cndWeekend("2021-02-06"), cndAdj("2021-02-07", cndCJ, cndN2021), cndWeekday("2021-02-10"),
		cndHol("2021-02-11", cndCJ, cndN2021), cndHol("2021-02-17", cndCJ, cndN2021), cndWeekday("2021-02-18"),
		cndAdj("2021-02-20", cndCJ, cndN2021), cndWeekend("2021-02-21"),
		// 三、清明节:4月3日至5日放假调休,共3天。
		cndWeekday("2021-04-02"), cndHol("2021-04-03", cndQM, cndN2021), cndHol("2021-04-05", cndQM, cndN2021),
		cndWeekday("2021-04-06"),
		// 四、劳动节:5月1日至5日放假调休,共5天。4月25日(星期日)、5月8日(星期六)上班。
		cndWeekend("2021-04-24"), cndAdj("2021-04-25", cndLD, cndN2021), cndWeekday("2021-04-30"),
		cndHol("2021-05-01", cndLD, cndN2021), cndHol("2021-05-05", cndLD, cndN2021), cndWeekday("2021-05-06"),
		cndAdj("2021-05-08", cndLD, cndN2021), cndWeekend("2021-05-09"),
		// 五、端午节:6月12日至14日放假,共3天。
		cndWeekday("2021-06-11"), cndHol("2021-06-12", cndDW, cndN2021), cndHol("2021-06-14", cndDW, cndN2021),
		cndWeekday("2021-06-15"),
		// 六、中秋节:9月19日至21日放假调休,共3天。9月18日(星期六)上班。
		cndWeekday("2021-09-17"), cndAdj("2021-09-18", cndZQ, cndN2021), cndHol("2021-09-19", cndZQ, cndN2021),
		cndHol("2021-09-21", cndZQ, cndN2021), cndWeekday("2021-09-22"),
		// 七、国庆节:10月1日至7日放假调休,共7天。9月26日(星期日)、10月9日(星期六)上班。
		cndWeekend("2021-09-25"), cndAdj("2021-09-26", cndGQ, cndN2021), cndWeekday("2021-09-30"),
		cndHol("2021-10-01", cndGQ, cndN2021), cndHol("2021-10-07", cndGQ, cndN2021), cndWeekday("2021-10-08"),
		cndAdj("2021-10-09", cndGQ, cndN2021), cndWeekend("2021-10-10"),
	},
	2022: {
		// 一、元旦:2022年1月1日至3日放假,共3天。
		cndWeekday("2021-12-31"), cndHol("2022-01-01", cndYD, cndN2022), cndHol("2022-01-03", cndYD, cndN2022),
		cndWeekday("2022-01-04"),
		// 二、春节:1月31日至2月6日放假调休,共7天。1月29日(星期六)、1月30日(星期日)上班。
		cndWeekday("2022-01-28"), cndAdj("2022-01-29", cndCJ, cndN2022), cndAdj("2022-01-30", cndCJ, cndN2022),
		cndHol("2022-01-31", cndCJ, cndN2022), cndHol("2022-02-06", cndCJ, cndN2022), cndWeekday("2022-02-07"),
		// 三、清明节:4月3日至5日放假调休,共3天。4月2日(星期六)上班。
		cndWeekday("2022-04-01"), cndAdj("2022-04-02", cndQM, cndN2022), cndHol("2022-04-03", cndQM, cndN2022),
		cndHol("2022-04-05", cndQM, cndN2022), cndWeekday("2022-04-06"),
		// 四、劳动节:4月30日至5月4日放假调休,共5天。4月24日(星期日)、5月7日(星期六)上班。
		cndWeekend("2022-04-23"), cndAdj("2022-04-24", cndLD, cndN2022), cndWeekday("2022-04-29"),
		cndHol("2022-04-30", cndLD, cndN2022), cndHol("2022-05-04", cndLD, cndN2022), cndWeekday("2022-05-05"),
		cndAdj("2022-05-07", cndLD, cndN2022), cndWeekend("2022-05-08"),
		// 五、端午节:6月3日至5日放假,共3天。
		cndWeekday("2022-06-02"), cndHol("2022-06-03", cndDW, cndN2022), cndHol("2022-06-05", cndDW, cndN2022),
		cndWeekday("2022-06-06"),
		// 六、中秋节:9月10日至12日放假,共3天。
		cndWeekday("2022-09-09"), cndHol("2022-09-10", cndZQ, cndN2022), cndHol("2022-09-12", cndZQ, cndN2022),
		cndWeekday("2022-09-13"),
		// 七、国庆节:10月1日至7日放假调休,共7天。10月8日(星期六)、10月9日(星期日)上班。
		cndWeekday("2022-09-30"), cndHol("2022-10-01", cndGQ, cndN2022), cndHol("2022-10-07", cndGQ, cndN2022),
		cndAdj("2022-10-08", cndGQ, cndN2022), cndAdj("2022-10-09", cndGQ, cndN2022), cndWeekday("2022-10-10"),
	},
	2023: {
		// 一、元旦:2022年12月31日至2023年1月2日放假调休,共3天。
		cndWeekday("2022-12-30"), cndHol("2022-12-31", cndYD, cndN2023), cndHol("2023-01-02", cndYD, cndN2023),
		cndWeekday("2023-01-03"),
		// 二、春节:1月21日至27日放假调休,共7天。1月28日(星期六)、1月29日(星期日)上班。
		cndWeekday("2023-01-20"), cndHol("2023-01-21", cndCJ, cndN2023), cndHol("2023-01-27", cndCJ, cndN2023),
		cndAdj("2023-01-28", cndCJ, cndN2023), cndAdj("2023-01-29", cndCJ, cndN2023), cndWeekday("2023-01-30"),
		// 三、清明节:4月5日放假,共1天。
		cndWeekday("2023-04-04"), cndHol("2023-04-05", cndQM, cndN2023), cndWeekday("2023-04-06"),
		// 四、劳动节:4月29日至5月3日放假调休,共5天。4月23日(星期日)、5月6日(星期六)上班。
		cndWeekend("2023-04-22"), cndAdj("2023-04-23", cndLD, cndN2023), cndWeekday("2023-04-28"),
		cndHol("2023-04-29", cndLD, cndN2023), cndHol("2023-05-03", cndLD, cndN2023), cndWeekday("2023-05-04"),
		cndAdj("2023-05-06", cndLD, cndN2023), cndWeekend("2023-05-07"),
		// 五、端午节:6月22日至24日放假调休,共3天。6月25日(星期日)上班。
		cndWeekday("2023-06-21"), cndHol("2023-06-22", cndDW, cndN2023), cndHol("2023-06-24", cndDW, cndN2023),
		cndAdj("2023-06-25", cndDW, cndN2023), cndWeekday("2023-06-26"),
		// 六、中秋节、国庆节:9月29日至10月6日放假调休,共8天。10月7日(星期六)、10月8日(星期日)上班。
		cndWeekday("2023-09-28"), cndHol("2023-09-29", cndZQGQ, cndN2023), cndHol("2023-10-06", cndZQGQ, cndN2023),
		cndAdj("2023-10-07", cndZQGQ, cndN2023), cndAdj("2023-10-08", cndZQGQ, cndN2023), cndWeekday("2023-10-09"),
	},
	2024: {
		// 一、元旦:1月1日放假,与周末连休。
		cndWeekend("2023-12-30"), cndWeekend("2023-12-31"), cndHol("2024-01-01", cndYD, cndN2024),
		cndWeekday("2024-01-02"),
		// 二、春节:2月10日至17日放假调休,共8天。2月4日(星期日)、2月18日(星期日)上班。
		// 鼓励各单位…安排职工在除夕(2月9日)休息: 2月9日 stays a working day.
		cndWeekend("2024-02-03"), cndAdj("2024-02-04", cndCJ, cndN2024), cndWeekday("2024-02-09"),
		cndHol("2024-02-10", cndCJ, cndN2024), cndHol("2024-02-17", cndCJ, cndN2024),
		cndAdj("2024-02-18", cndCJ, cndN2024), cndWeekday("2024-02-19"),
		// 三、清明节:4月4日至6日放假调休,共3天。4月7日(星期日)上班。
		cndWeekday("2024-04-03"), cndHol("2024-04-04", cndQM, cndN2024), cndHol("2024-04-06", cndQM, cndN2024),
		cndAdj("2024-04-07", cndQM, cndN2024), cndWeekday("2024-04-08"),
		// 四、劳动节:5月1日至5日放假调休,共5天。4月28日(星期日)、5月11日(星期六)上班。
		cndWeekend("2024-04-27"), cndAdj("2024-04-28", cndLD, cndN2024), cndWeekday("2024-04-30"),
		cndHol("2024-05-01", cndLD, cndN2024), cndHol("2024-05-05", cndLD, cndN2024), cndWeekday("2024-05-06"),
		cndAdj("2024-05-11", cndLD, cndN2024), cndWeekend("2024-05-12"),
		// 五、端午节:6月10日放假,与周末连休。
		cndWeekend("2024-06-08"), cndWeekend("2024-06-09"), cndHol("2024-06-10", cndDW, cndN2024),
		cndWeekday("2024-06-11"),
		// 六、中秋节:9月15日至17日放假调休,共3天。9月14日(星期六)上班。
		cndWeekday("2024-09-13"), cndAdj("2024-09-14", cndZQ, cndN2024), cndHol("2024-09-15", cndZQ, cndN2024),
		cndHol("2024-09-17", cndZQ, cndN2024), cndWeekday("2024-09-18"),
		// 七、国庆节:10月1日至7日放假调休,共7天。9月29日(星期日)、10月12日(星期六)上班。
		cndWeekend("2024-09-28"), cndAdj("2024-09-29", cndGQ, cndN2024), cndWeekday("2024-09-30"),
		cndHol("2024-10-01", cndGQ, cndN2024), cndHol("2024-10-07", cndGQ, cndN2024), cndWeekday("2024-10-08"),
		cndAdj("2024-10-12", cndGQ, cndN2024), cndWeekend("2024-10-13"),
	},
	2025: {
		// 一、元旦:1月1日(周三)放假1天,不调休。
		cndWeekday("2024-12-31"), cndHol("2025-01-01", cndYD, cndN2025), cndWeekday("2025-01-02"),
		// 二、春节:1月28日(农历除夕、周二)至2月4日(农历正月初七、周二)放假调休,共8天。1月26日(周日)、2月8日(周六)上班。
		cndWeekend("2025-01-25"), cndAdj("2025-01-26", cndCJ, cndN2025), cndWeekday("2025-01-27"),
		cndHol("2025-01-28", cndCJ, cndN2025), cndHol("2025-02-04", cndCJ, cndN2025), cndWeekday("2025-02-05"),
		cndAdj("2025-02-08", cndCJ, cndN2025), cndWeekend("2025-02-09"),
		// 三、清明节:4月4日(周五)至6日(周日)放假,共3天。
		cndWeekday("2025-04-03"), cndHol("2025-04-04", cndQM, cndN2025), cndHol("2025-04-06", cndQM, cndN2025),
		cndWeekday("2025-04-07"),
		// 四、劳动节:5月1日(周四)至5日(周一)放假调休,共5天。4月27日(周日)上班。
		cndWeekend("2025-04-26"), cndAdj("2025-04-27", cndLD, cndN2025), cndWeekday("2025-04-30"),
		cndHol("2025-05-01", cndLD, cndN2025), cndHol("2025-05-05", cndLD, cndN2025), cndWeekday("2025-05-06"),
		// 五、端午节:5月31日(周六)至6月2日(周一)放假,共3天。
		cndWeekday("2025-05-30"), cndHol("2025-05-31", cndDW, cndN2025), cndHol("2025-06-02", cndDW, cndN2025),
		cndWeekday("2025-06-03"),
		// 六、国庆节、中秋节:10月1日(周三)至8日(周三)放假调休,共8天。9月28日(周日)、10月11日(周六)上班。
		cndWeekend("2025-09-27"), cndAdj("2025-09-28", cndGQZQ, cndN2025), cndWeekday("2025-09-30"),
		cndHol("2025-10-01", cndGQZQ, cndN2025), cndHol("2025-10-08", cndGQZQ, cndN2025), cndWeekday("2025-10-09"),
		cndAdj("2025-10-11", cndGQZQ, cndN2025), cndWeekend("2025-10-12"),
	},
	2026: {
		// 一、元旦:1月1日(周四)至3日(周六)放假调休,共3天。1月4日(周日)上班。
		cndWeekday("2025-12-31"), cndHol("2026-01-01", cndYD, cndN2026), cndHol("2026-01-03", cndYD, cndN2026),
		cndAdj("2026-01-04", cndYD, cndN2026), cndWeekday("2026-01-05"),
		// 二、春节:2月15日(农历腊月二十八、周日)至23日(农历正月初七、周一)放假调休,共9天。2月14日(周六)、2月28日(周六)上班。
		cndWeekday("2026-02-13"), cndAdj("2026-02-14", cndCJ, cndN2026), cndHol("2026-02-15", cndCJ, cndN2026),
		cndHol("2026-02-23", cndCJ, cndN2026), cndWeekday("2026-02-24"),
		cndWeekday("2026-02-27"), cndAdj("2026-02-28", cndCJ, cndN2026), cndWeekend("2026-03-01"),
		// 三、清明节:4月4日(周六)至6日(周一)放假,共3天。
		cndWeekday("2026-04-03"), cndHol("2026-04-04", cndQM, cndN2026), cndHol("2026-04-06", cndQM, cndN2026),
		cndWeekday("2026-04-07"),
		// 四、劳动节:5月1日(周五)至5日(周二)放假调休,共5天。5月9日(周六)上班。
		cndWeekday("2026-04-30"), cndHol("2026-05-01", cndLD, cndN2026), cndHol("2026-05-05", cndLD, cndN2026),
		cndWeekday("2026-05-06"), cndAdj("2026-05-09", cndLD, cndN2026), cndWeekend("2026-05-10"),
		// 五、端午节:6月19日(周五)至21日(周日)放假,共3天。
		cndWeekday("2026-06-18"), cndHol("2026-06-19", cndDW, cndN2026), cndHol("2026-06-21", cndDW, cndN2026),
		cndWeekday("2026-06-22"),
		// 六、中秋节:9月25日(周五)至27日(周日)放假,共3天。
		cndWeekday("2026-09-24"), cndHol("2026-09-25", cndZQ, cndN2026), cndHol("2026-09-27", cndZQ, cndN2026),
		cndWeekday("2026-09-28"),
		// 七、国庆节:10月1日(周四)至7日(周三)放假调休,共7天。9月20日(周日)、10月10日(周六)上班。
		cndWeekend("2026-09-19"), cndAdj("2026-09-20", cndGQ, cndN2026), cndWeekday("2026-09-30"),
		cndHol("2026-10-01", cndGQ, cndN2026), cndHol("2026-10-07", cndGQ, cndN2026),
		cndWeekday("2026-10-08"), cndWeekday("2026-10-09"), cndAdj("2026-10-10", cndGQ, cndN2026),
		cndWeekend("2026-10-11"),
	},
}

func TestChinaDataYears(t *testing.T) {
	for y := 2015; y <= 2026; y++ {
		want, ok := cndYears[y]
		if !ok {
			t.Errorf("no table for %d", y)
			continue
		}
		t.Run(strconv.Itoa(y), func(t *testing.T) { cndCheck(t, want) })
	}
}

// TestChinaDataTraps pins the cases that are easy to get wrong.
func TestChinaDataTraps(t *testing.T) {
	cases := []struct {
		name string
		want []cndDay
	}{
		{"2020 Spring Festival extended to Feb 2; Feb 1 no longer a 调休 workday", []cndDay{
			cndHol("2020-01-30", cndCJ, cndN2020),
			cndHol("2020-01-31", cndCJ, cndE2020),
			cndHol("2020-02-01", cndCJ, cndE2020), // was 调休上班 in 国办发明电〔2019〕16号
			cndHol("2020-02-02", cndCJ, cndE2020),
			cndWeekday("2020-02-03"), // 2月3日(星期一)起正常上班
		}},
		{"2015 Victory Day: Sept 3-5 off, Sunday Sept 6 a workday", []cndDay{
			cndWeekday("2015-09-02"),
			cndHol("2015-09-03", cndKZ, cndV2015),
			cndHol("2015-09-04", cndKZ, cndV2015),
			cndHol("2015-09-05", cndKZ, cndV2015), // a Saturday inside "9月3日至5日调休放假,共3天"
			cndAdj("2015-09-06", cndKZ, cndV2015),
			cndWeekday("2015-09-07"),
		}},
		{"2019 May Day revision: May 1-4 off, Sundays Apr 28 and May 5 workdays", []cndDay{
			cndAdj("2019-04-28", cndLD, cndM2019),
			cndWeekday("2019-04-29"),
			cndWeekday("2019-04-30"),
			cndHol("2019-05-01", cndLD, cndM2019),
			cndHol("2019-05-02", cndLD, cndM2019),
			cndHol("2019-05-03", cndLD, cndM2019),
			cndHol("2019-05-04", cndLD, cndM2019),
			cndAdj("2019-05-05", cndLD, cndM2019),
			cndWeekday("2019-05-06"),
		}},
		{"2024 除夕 (Feb 9) only encouraged, still a working day", []cndDay{
			cndWeekday("2024-02-08"),
			cndWeekday("2024-02-09"),
			cndHol("2024-02-10", cndCJ, cndN2024),
		}},
		{"2025 除夕 (Jan 28) a statutory holiday after the 2024 revision", []cndDay{
			cndWeekday("2025-01-27"),
			cndHol("2025-01-28", cndCJ, cndN2025),
		}},
		{"与周末连休: the adjoining weekend is not a holiday row", []cndDay{
			cndWeekend("2024-06-08"), cndWeekend("2024-06-09"), cndHol("2024-06-10", cndDW, cndN2024),
			cndHol("2016-01-01", cndYD, cndN2016), cndWeekend("2016-01-02"), cndWeekend("2016-01-03"),
			cndHol("2019-09-13", cndZQ, cndN2019), cndWeekend("2019-09-14"), cndWeekend("2019-09-15"),
		}},
		{"weekend days inside an explicit 共N天 range are holiday rows", []cndDay{
			cndHol("2021-04-03", cndQM, cndN2021), cndHol("2021-04-04", cndQM, cndN2021),
			cndHol("2026-02-15", cndCJ, cndN2026), cndHol("2026-02-21", cndCJ, cndN2026), cndHol("2026-02-22", cndCJ, cndN2026),
		}},
		{"元旦 blocks starting in the previous December belong to the next year's notice", []cndDay{
			cndAdj("2018-12-29", cndYD, cndN2019), cndHol("2018-12-30", cndYD, cndN2019), cndHol("2018-12-31", cndYD, cndN2019),
			cndHol("2022-12-31", cndYD, cndN2023), cndHol("2023-01-01", cndYD, cndN2023),
		}},
		{"补休 Mondays after a weekend holiday", []cndDay{
			cndHol("2017-01-01", cndYD, cndN2017), cndHol("2017-01-02", cndYD, cndN2017),
			cndHol("2016-05-01", cndLD, cndN2016), cndHol("2016-05-02", cndLD, cndN2016),
			cndWeekend("2015-06-21"), // between 6月20日放假 and 6月22日补休
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { cndCheck(t, tc.want) })
	}
}

// cndAllDays lists every covered date with the calendar's answer.
func cndAllDays(t *testing.T) []DayInfo {
	t.Helper()
	c := China()
	first, last := c.Coverage()
	var out []DayInfo
	for d := first; !d.After(last); d = d.AddDays(1) {
		info, err := c.Day(d)
		if err != nil {
			t.Fatalf("Day(%s): %v", d, err)
		}
		out = append(out, info)
	}
	return out
}

// TestChinaDataStatedTotals checks, for every "共N天" (and 2025's "放假1天")
// in the notices, that the notice sets exactly N holiday days under that name.
func TestChinaDataStatedTotals(t *testing.T) {
	type key struct{ Notice, Name string }
	want := map[key]int{
		{cndN2015, cndYD}: 3, {cndN2015, cndCJ}: 7, {cndN2015, cndGQ}: 7,
		{cndV2015, cndKZ}: 3,
		{cndN2016, cndCJ}: 7, {cndN2016, cndDW}: 3, {cndN2016, cndZQ}: 3, {cndN2016, cndGQ}: 7,
		{cndN2017, cndCJ}: 7, {cndN2017, cndQM}: 3, {cndN2017, cndDW}: 3, {cndN2017, cndZQGQ}: 8,
		{cndN2018, cndCJ}: 7, {cndN2018, cndQM}: 3, {cndN2018, cndLD}: 3, {cndN2018, cndGQ}: 7,
		{cndN2019, cndYD}: 3, {cndN2019, cndCJ}: 7, {cndN2019, cndGQ}: 7,
		{cndM2019, cndLD}: 4,
		{cndN2020, cndYD}: 1, {cndN2020, cndCJ}: 7, {cndN2020, cndQM}: 3, {cndN2020, cndLD}: 5,
		{cndN2020, cndDW}: 3, {cndN2020, cndGQZQ}: 8,
		{cndN2021, cndYD}: 3, {cndN2021, cndCJ}: 7, {cndN2021, cndQM}: 3, {cndN2021, cndLD}: 5,
		{cndN2021, cndDW}: 3, {cndN2021, cndZQ}: 3, {cndN2021, cndGQ}: 7,
		{cndN2022, cndYD}: 3, {cndN2022, cndCJ}: 7, {cndN2022, cndQM}: 3, {cndN2022, cndLD}: 5,
		{cndN2022, cndDW}: 3, {cndN2022, cndZQ}: 3, {cndN2022, cndGQ}: 7,
		{cndN2023, cndYD}: 3, {cndN2023, cndCJ}: 7, {cndN2023, cndQM}: 1, {cndN2023, cndLD}: 5,
		{cndN2023, cndDW}: 3, {cndN2023, cndZQGQ}: 8,
		{cndN2024, cndCJ}: 8, {cndN2024, cndQM}: 3, {cndN2024, cndLD}: 5, {cndN2024, cndZQ}: 3, {cndN2024, cndGQ}: 7,
		{cndN2025, cndYD}: 1, {cndN2025, cndCJ}: 8, {cndN2025, cndQM}: 3, {cndN2025, cndLD}: 5,
		{cndN2025, cndDW}: 3, {cndN2025, cndGQZQ}: 8,
		{cndN2026, cndYD}: 3, {cndN2026, cndCJ}: 9, {cndN2026, cndQM}: 3, {cndN2026, cndLD}: 5,
		{cndN2026, cndDW}: 3, {cndN2026, cndZQ}: 3, {cndN2026, cndGQ}: 7,
	}
	got := map[key]int{}
	for _, info := range cndAllDays(t) {
		k := key{info.Notice, info.Name}
		if _, stated := want[k]; stated && info.Kind == KindHoliday {
			got[k]++
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("holiday days per (notice, name) differ from the notices' 共N天 (-notice +calendar):\n%s", diff)
	}

	// Every year has the statutory blocks; the 2020 Spring Festival in force
	// is 7 days (1月24日至30日) plus the extension's 3 (1月31日至2月2日).
	cj2020 := 0
	for _, info := range cndAllDays(t) {
		if info.Kind == KindHoliday && info.Name == cndCJ && info.Date.Year == 2020 {
			cj2020++
		}
	}
	if cj2020 != 10 {
		t.Errorf("2020 春节 holiday days = %d, want 10 (7 + extension to 2月2日)", cj2020)
	}
}

// TestChinaDataYearSummary compares the number of holiday and 调休 workday
// rows per notice year (amendments counted with the year they amend) with a
// table counted by hand from the notices.
func TestChinaDataYearSummary(t *testing.T) {
	type counts struct{ Holidays, Workdays int }
	want := map[int]counts{
		2015: {26, 5}, // 3+7+2+1+2+1+7 = 23, Victory Day +3; 1/4, 2/15, 2/28, 10/10, 9/6
		2016: {24, 6}, // 1+7+1+2+3+3+7
		2017: {24, 5}, // 2+7+3+1+3+8
		2018: {23, 6}, // 1+7+3+3+1+1+7
		2019: {24, 7}, // 3+7+1+4+1+1+7; 2018-12-29, 2/2, 2/3, 4/28, 5/5, 9/29, 10/12
		2020: {30, 6}, // 1+10+3+5+3+8; 2/1 dropped by the extension
		2021: {31, 7}, // 3+7+3+5+3+3+7
		2022: {31, 7}, // 3+7+3+5+3+3+7
		2023: {27, 7}, // 3+7+1+5+3+8
		2024: {28, 8}, // 1+8+3+5+1+3+7
		2025: {28, 5}, // 1+8+3+5+3+8
		2026: {33, 6}, // 3+9+3+5+3+3+7
	}
	yearOf := map[string]int{
		cndN2015: 2015, cndV2015: 2015, cndN2016: 2016, cndN2017: 2017, cndN2018: 2018,
		cndN2019: 2019, cndM2019: 2019, cndN2020: 2020, cndE2020: 2020, cndN2021: 2021,
		cndN2022: 2022, cndN2023: 2023, cndN2024: 2024, cndN2025: 2025, cndN2026: 2026,
	}
	got := map[int]counts{}
	for _, info := range cndAllDays(t) {
		if info.Notice == "" {
			continue
		}
		y, ok := yearOf[info.Notice]
		if !ok {
			t.Errorf("%s: unexpected notice %q", info.Date, info.Notice)
			continue
		}
		c := got[y]
		switch info.Kind {
		case KindHoliday:
			c.Holidays++
		case KindAdjustedWorkday:
			c.Workdays++
		default:
			t.Errorf("%s: kind %s set by %s", info.Date, info.Kind.English(), info.Notice)
		}
		got[y] = c
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows per year (-hand count +calendar):\n%s", diff)
	}
}

// TestChinaDataNotices checks the notice list against the notices' own headers.
func TestChinaDataNotices(t *testing.T) {
	type nt struct {
		ID, Title, Published string
		Year                 int
		Covers               string
		Amends               string
		HasURL               bool
	}
	want := []nt{
		{cndN2015, "国务院办公厅关于2015年部分节假日安排的通知", "2014-12-16", 2015, "", "", true},
		{cndV2015, "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知", "2015-05-13", 2015, "2015-09-03..2015-09-06", cndN2015, true},
		{cndN2016, "国务院办公厅关于2016年部分节假日安排的通知", "2015-12-10", 2016, "", "", true},
		{cndN2017, "国务院办公厅关于2017年部分节假日安排的通知", "2016-12-01", 2017, "", "", true},
		{cndN2018, "国务院办公厅关于2018年部分节假日安排的通知", "2017-11-30", 2018, "", "", true},
		{cndN2019, "国务院办公厅关于2019年部分节假日安排的通知", "2018-12-04", 2019, "", "", true},
		{cndM2019, "国务院办公厅关于调整2019年劳动节假期安排的通知", "2019-03-22", 2019, "2019-04-28..2019-05-05", cndN2019, true},
		{cndN2020, "国务院办公厅关于2020年部分节假日安排的通知", "2019-11-21", 2020, "", "", true},
		{cndE2020, "国务院办公厅关于延长2020年春节假期的通知", "2020-01-26", 2020, "2020-01-31..2020-02-02", cndN2020, true},
		{cndN2021, "国务院办公厅关于2021年部分节假日安排的通知", "2020-11-25", 2021, "", "", true},
		{cndN2022, "国务院办公厅关于2022年部分节假日安排的通知", "2021-10-25", 2022, "", "", true},
		{cndN2023, "国务院办公厅关于2023年部分节假日安排的通知", "2022-12-08", 2023, "", "", true},
		{cndN2024, "国务院办公厅关于2024年部分节假日安排的通知", "2023-10-25", 2024, "", "", true},
		{cndN2025, "国务院办公厅关于2025年部分节假日安排的通知", "2024-11-12", 2025, "", "", true},
		{cndN2026, "国务院办公厅关于2026年部分节假日安排的通知", "2025-11-04", 2026, "", "", true},
	}
	byID := map[string]nt{}
	for _, n := range China().Notices() {
		g := nt{ID: n.ID, Title: n.Title, Published: n.Published.String(), Year: n.Year, Amends: n.Amends, HasURL: strings.HasPrefix(n.URL, "http")}
		if n.Covers != nil {
			g.Covers = n.Covers.From.String() + ".." + n.Covers.To.String()
		}
		byID[n.ID] = g
	}
	got := make([]nt, 0, len(want))
	for _, w := range want {
		got = append(got, byID[w.ID])
		delete(byID, w.ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notices (-notice text +data):\n%s", diff)
	}
	for id := range byID {
		t.Errorf("unexpected notice %q in data/cn.json", id)
	}
}

// TestChinaDataCoverage: 2015-01-01 to 2026-12-31. No 2027 notice had been
// found when the data was written (see data/SOURCES.md).
func TestChinaDataCoverage(t *testing.T) {
	c := China()
	first, last := c.Coverage()
	if got, want := first.String()+".."+last.String(), "2015-01-01..2026-12-31"; got != want {
		t.Errorf("Coverage() = %s, want %s", got, want)
	}
	for _, s := range []string{"2014-12-31", "2027-01-01"} {
		if _, err := c.Day(cndDate(t, s)); !errors.Is(err, ErrNotCovered) {
			t.Errorf("Day(%s) error = %v, want ErrNotCovered", s, err)
		}
		if _, err := c.IsWorkday(cndDate(t, s)); !errors.Is(err, ErrNotCovered) {
			t.Errorf("IsWorkday(%s) error = %v, want ErrNotCovered", s, err)
		}
	}
}

// TestChinaDataFile checks the file's layout: it loads, one day object per
// line in date order, every day once, and every row agrees with Day.
func TestChinaDataFile(t *testing.T) {
	raw, err := os.ReadFile("data/cn.json")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Load(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("Load(data/cn.json): %v", err)
	}
	if ds.Region != RegionChina || ds.Schema != SchemaVersion {
		t.Errorf("region %q schema %d", ds.Region, ds.Schema)
	}

	// Layout: each line between "days": [ and ] is one complete day object.
	type row struct {
		Date, Kind, Name, NameEn, Notice string
	}
	var rows []row
	inDays := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == `"days": [`:
			inDays = true
			continue
		case inDays && s == "]":
			inDays = false
			continue
		case !inDays:
			continue
		}
		var r struct {
			Date   string `json:"date"`
			Kind   string `json:"kind"`
			Name   string `json:"name"`
			NameEn string `json:"name_en"`
			Notice string `json:"notice"`
		}
		dec := json.NewDecoder(strings.NewReader(strings.TrimSuffix(s, ",")))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %d: not one day object: %v", line, err)
		}
		if r.NameEn == "" {
			t.Errorf("line %d: %s has no name_en", line, r.Date)
		}
		if n := len(rows); n > 0 && r.Date <= rows[n-1].Date {
			t.Errorf("line %d: %s not after %s (days must be sorted, each once)", line, r.Date, rows[n-1].Date)
		}
		rows = append(rows, row{r.Date, r.Kind, r.Name, r.NameEn, r.Notice})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ds.Days) || len(rows) == 0 {
		t.Fatalf("read %d day lines, Load found %d days", len(rows), len(ds.Days))
	}

	// Every row is what the calendar answers; every other covered day is
	// an ordinary weekday or weekend.
	set := map[string]row{}
	for _, r := range rows {
		set[r.Date] = r
	}
	kindCodes := map[Kind]string{KindHoliday: "holiday", KindAdjustedWorkday: "workday"}
	for _, info := range cndAllDays(t) {
		r, ok := set[info.Date.String()]
		if !ok {
			wd := info.Date.Weekday()
			want := KindWorkday
			if wd == time.Saturday || wd == time.Sunday {
				want = KindWeekend
			}
			if info.Kind != want || info.Notice != "" || info.Name != "" {
				t.Errorf("%s: no row in the file but Day says %s", info.Date, info.English())
			}
			continue
		}
		got := row{info.Date.String(), kindCodes[info.Kind], info.Name, info.NameEn, info.Notice}
		if got != r {
			t.Errorf("%s: file row %+v, Day %+v", info.Date, r, got)
		}
		if info.Kind == KindAdjustedWorkday {
			if wd := info.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%s: 调休 workday on a %s", info.Date, wd)
			}
		}
	}
}
