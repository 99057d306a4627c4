"""Built-in calibration and held-out text for ``hubctl quantize``.

int4 GPTQ needs samples of ordinary text to measure layer activations
before it rounds the weights.  ``hubctl`` ships its own set so
that quantization works offline, is reproducible byte for byte, and does not
depend on a third-party data set whose contents or licence may change.

All text in this module was written for the hubctl project, is original, and
is owned and licensed by the project together with the rest of the source.
It is deliberately mixed: roughly two thirds English and one third Simplified
Chinese, plain prose and chat turns, across everyday explanations, science,
history, geography, cooking, programming (with short Python, shell, JSON and
SQL snippets), arithmetic word problems, travel, general health, business
mail, dialogue, lists, instructions and short stories, in varied lengths.

``CALIBRATION_PLAIN``
    Plain paragraphs used as calibration samples.
``CALIBRATION_CHAT``
    ``(user, assistant)`` pairs, to be rendered with the model's own chat
    template before being used as calibration samples.
``HELDOUT_PLAIN``
    Paragraphs on different topics, used ONLY to measure perplexity before
    and after quantization.  They must never be fed to calibration: doing so
    would make the perplexity comparison meaningless.  No paragraph here
    shares an eight-word run with the calibration text.
"""

from __future__ import annotations

CALIBRATION_PLAIN: tuple[str, ...] = (
    (
        "Bread goes stale even when it stays soft on the outside, and the reason has "
        "little to do with drying out. When a loaf bakes, the starch granules in the "
        "flour soak up water and swell into a loose, disordered gel. As the bread cools "
        "and sits on the counter, those starch chains slowly line back up into tight "
        "crystalline bundles, pushing water out of their structure. The crumb feels firm "
        "and crumbly even though most of the moisture is still in the loaf. This process "
        "runs fastest at refrigerator temperatures, which is why a baguette kept in the "
        "fridge turns leathery by the next morning. Freezing stops it almost completely, "
        "and a short stint in a hot oven melts the crystals again, so a tired loaf can "
        "often be rescued for one more meal."
    ),
    (
        "A rainbow appears when sunlight meets a curtain of falling drops and the sun is "
        "behind the person watching. Each drop acts like a tiny prism and mirror at once. "
        "Light bends as it enters the drop, reflects off the far inner surface, and bends "
        "again on the way out. Because the amount of bending depends on wavelength, red "
        "light leaves at a slightly wider angle than violet, roughly forty-two degrees "
        "compared with forty. Millions of drops at different heights each send one color "
        "toward your eye, and together they paint a circular arc centered on the point "
        "directly opposite the sun. From an airplane you can sometimes see the whole "
        "circle. A fainter second bow, with its colors reversed, comes from light that "
        "bounced twice inside each drop."
    ),
    (
        "二十四节气是古人根据太阳在一年中的位置划分出来的时间节点，它和月亮的圆缺没有直接"
        "关系，所以每年的日期在公历上只会前后浮动一两天。过去没有天气预报，农民就靠节气安"
        "排农事：立春前后准备农具，清明前后忙着育秧，芒种时节抢收麦子又要赶着插秧，到了霜"
        "降，北方的地里基本已经收拾干净。许多节气的名字本身就是对气候的描述，比如“小暑”“"
        "大暑”写的是热的程度，“白露”“寒露”写的是清晨草叶上的露水越来越凉。如今大多数人不"
        "再种地，节气却没有被遗忘，冬至吃饺子或汤圆、立秋“贴秋膘”这样的习俗依然在很多家庭"
        "里延续，成为一种提醒人们留意季节变化的生活节奏。值得一提的是，二十四节气在二〇一"
        "六年被列入联合国教科文组织人类非物质文化遗产代表作名录，这也让更多外国朋友开始了"
        "解这套源自中国古代的时间知识。"
    ),
    (
        "Before movable type reached Europe in the fifteenth century, copying a long book "
        "by hand could occupy a trained scribe for months, and mistakes crept in with "
        "every new copy. Once printing shops spread from one city to the next, the price "
        "of a book fell sharply and identical copies could circulate across whole "
        "regions. Scholars in distant towns could refer to the same page and argue about "
        "the same wording. Pamphlets, calendars, and almanacs reached readers who had "
        "never owned a manuscript. Historians still debate how quickly literacy rose as a "
        "result, but few doubt that cheaper printed material changed how ideas traveled, "
        "how arguments were settled, and how ordinary people learned about events far "
        "from home."
    ),
    (
        "A river delta forms where a slow, muddy river meets a sea or lake that cannot "
        "carry the sediment away as fast as it arrives. As the current loses speed, sand "
        "drops first, then silt, and finally the finest clay, building a fan of new land "
        "that pushes outward year after year. The main channel splits into smaller "
        "branches, which shift whenever a flood breaks through a bank. Deltas are some of "
        "the most fertile farmland on Earth and support huge populations, but they are "
        "also fragile. Dams upstream trap the sediment that would have replenished the "
        "soil, and pumping groundwater makes the land sink. In several large deltas "
        "today, the ground is subsiding faster than the sea is rising, which puts coastal "
        "villages at real risk."
    ),
    (
        "西红柿炒鸡蛋几乎是每个人学做的第一道家常菜，看似简单，想做好也有几个小窍门。鸡蛋"
        "打散时加一点点盐和几滴清水，炒出来会更蓬松。锅要烧热再倒油，油稍微多一些，蛋液下"
        "锅后别急着翻动，等边缘凝固了再用铲子轻轻推开，七八成熟就盛出来，这样最后回锅时不"
        "会变老。西红柿最好挑熟透、汁多的，切成小块，下锅后用中火慢慢炒出红汤，可以加少许"
        "糖来中和酸味。喜欢汤汁浓一点的，可以在这个时候加小半碗水稍微煮一下。最后把鸡蛋倒"
        "回锅里，翻匀，撒一把葱花就可以出锅了。这道菜配米饭、拌面条都很合适，做法也因家而"
        "异，有人放番茄酱，有人先炒西红柿，各有各的道理。如果家里有小朋友，不妨让他们帮忙"
        "打鸡蛋、撒葱花，一道简单的菜做下来，厨房里也多了不少欢声笑语。其实这道菜最大的魅"
        "力，就在于它的随意和包容，每个人心里都有一份属于自己的“妈妈的味道”。"
    ),
    (
        "A good risotto is mostly patience and attention. Start by warming a pot of stock "
        "on a back burner so it never cools the rice. In a wide pan, soften a chopped "
        "onion in butter and a little oil, then add short-grain rice and stir it for a "
        "minute or two until the edges turn translucent. Pour in a splash of dry white "
        "wine and let it bubble away. From there, add the hot stock one ladle at a time, "
        "stirring often and waiting until each addition is nearly absorbed before the "
        "next. After about eighteen minutes, taste a grain: it should be tender with a "
        "faint bite in the center. Take the pan off the heat, beat in cold butter and "
        "grated hard cheese, cover it for two minutes, and serve it loose enough to "
        "spread slowly on the plate."
    ),
    (
        "Counting how often each word appears in a text file is a classic first exercise "
        "in Python, and the standard library makes it short:\n"
        "\n"
        "from collections import Counter\n"
        "import re\n"
        "\n"
        "with open(\"notes.txt\", encoding=\"utf-8\") as fh:\n"
        "    words = re.findall(r\"[a-z']+\", fh.read().lower())\n"
        "\n"
        "for word, n in Counter(words).most_common(10):\n"
        "    print(f\"{n:5d}  {word}\")\n"
        "\n"
        "The regular expression keeps letters and apostrophes, so contractions stay "
        "whole. Lowercasing first means that \"The\" and \"the\" are counted together. "
        "Counter behaves like a dictionary that defaults to zero, and most_common returns "
        "pairs sorted by frequency."
    ),
    (
        "长江是中国最长的河流，发源于青藏高原，自西向东流经十多个省、自治区和直辖市，最后"
        "在上海附近注入东海。上游河段穿行在高山峡谷之间，落差大、水流急，蕴藏着丰富的水能"
        "资源；中游进入两湖平原，河道弯曲，沿岸湖泊星罗棋布，既能调蓄洪水，也是鱼米之乡的"
        "重要基础；下游江面开阔，水网密集，城市和工厂沿江分布，航运十分繁忙。千百年来，长"
        "江养育了沿岸众多人口，也塑造了各地不同的饮食、方言和风俗。近些年，保护长江生态越"
        "来越受到重视，部分江段实行了长期禁渔，目的是让鱼类种群慢慢恢复，也让这条大河重新"
        "找回自我修复的能力。沿江的城市也在修建滨江步道和湿地公园，让市民在散步、骑行的同"
        "时，能够更近距离地感受这条大河的变化。傍晚时分，江边常常挤满了看日落的人。"
    ),
    (
        "A water tank holds 1,200 liters. One pipe fills it at 40 liters per minute, "
        "while a leak at the bottom drains 10 liters per minute. If the tank starts "
        "empty, how long does it take to fill? The net rate is 40 minus 10, or 30 liters "
        "per minute, so the tank fills in 1,200 divided by 30, which is 40 minutes. Now "
        "suppose a second pipe is opened after the first 15 minutes, adding another 20 "
        "liters per minute. In those first 15 minutes the tank gains 450 liters, leaving "
        "750 liters to go. With both pipes running and the leak still open, the net rate "
        "becomes 50 liters per minute, so the remaining volume takes 15 more minutes. The "
        "total time drops from 40 minutes to 30."
    ),
    (
        "Fitting a week of clothes into a carry-on bag is easier than it sounds if you "
        "plan around a narrow color palette. Choose two neutral colors for trousers and "
        "outer layers and one accent color for shirts, so that nearly every piece matches "
        "every other. Roll soft items tightly and lay structured ones flat on top. Wear "
        "your bulkiest shoes and jacket on the travel day instead of packing them. Bring "
        "a small bar of laundry soap or a few detergent sheets so you can wash socks and "
        "underwear in a sink midway through the trip. Keep liquids in travel-size "
        "containers in one clear pouch near the top. Finally, leave a little empty space; "
        "you will almost certainly come home with something you did not leave with."
    ),
    (
        "为什么月亮有时圆、有时弯？其实月亮自己并不发光，我们看到的是它被太阳照亮的那一半"
        "。月亮绕着地球转一圈大约需要二十九天半，在这个过程中，太阳、地球和月亮三者的相对"
        "位置不断变化，我们从地球上看到的亮面大小也就跟着改变。当月亮运行到地球和太阳之间"
        "时，亮面背对着我们，这就是新月，几乎看不见；随后亮面一点点露出来，形成傍晚出现在"
        "西边天空的蛾眉月；到了农历十五前后，月亮和太阳分别位于地球两侧，整个亮面正对着我"
        "们，就是满月。之后亮面逐渐缩小，残月往往在黎明前才升起，早起的人更容易看到。古人"
        "根据月相的变化制定了农历，一个月从初一的新月开始，到下一个新月前结束，所以传统节"
        "日的日期也和月亮的圆缺紧密相连，比如元宵节和中秋节都在月圆之夜。"
    ),
    (
        "Good sleep habits are mostly about consistency. Going to bed and getting up at "
        "roughly the same time each day, including weekends, helps the body's internal "
        "clock settle into a steady rhythm. A dark, cool, quiet bedroom makes it easier "
        "to fall asleep and stay asleep. Bright screens late in the evening can delay the "
        "feeling of tiredness, so many people find it helps to dim the lights and put the "
        "phone away half an hour before bed. Caffeine lingers in the body for many hours, "
        "which means an afternoon coffee can still matter at midnight. If trouble "
        "sleeping lasts for weeks or is accompanied by loud snoring or daytime "
        "exhaustion, it is worth mentioning to a doctor rather than simply putting up "
        "with it."
    ),
    (
        "Subject: Invoice 4471 — gentle reminder\n"
        "\n"
        "Hi Daniela,\n"
        "\n"
        "I hope the quarter-end rush is treating you kindly. I'm writing to follow up on "
        "invoice 4471, issued on the 3rd of last month for the warehouse shelving "
        "installation. According to our records the payment was due on the 2nd and we "
        "have not yet seen it arrive. It is entirely possible it crossed with this "
        "message, in which case please disregard this note. If there is a problem with "
        "the invoice itself, such as a missing purchase order number, just let me know "
        "and I will reissue it the same day.\n"
        "\n"
        "Many thanks,\n"
        "Marcus Hale\n"
        "Accounts, Northgate Fittings"
    ),
    (
        "在纸张出现之前，人们把文字写在竹简、木牍、绢帛上。竹简笨重，一部书要用车来拉；绢"
        "帛轻便，价格却十分昂贵，普通人根本用不起。用植物纤维造纸的技术成熟以后，书写材料"
        "一下子变得便宜而轻巧，抄书、传信、记账都方便了许多。造纸的工序大致包括把树皮、麻"
        "头等原料浸泡、捣烂，制成纸浆，再用帘子捞出薄薄一层，压干、晾晒。后来这项技术沿着"
        "商路逐渐向西传播，先到中亚，再传到西亚和欧洲，各地的工匠又根据当地原料不断改进。"
        "可以说，纸的普及为知识的积累和传播打下了基础，后来印刷术的广泛应用也离不开大量廉"
        "价的纸张。今天，虽然电子屏幕越来越普及，但在书法、绘画、包装和日常办公中，纸依然"
        "扮演着不可替代的角色，而宣纸等传统手工纸的制作技艺也一直被用心地传承下来。"
    ),
    (
        "The lighthouse on Gull Point had been automated for twenty years, but Ada still "
        "climbed the spiral stairs every evening out of habit. The cat followed her, "
        "pausing on every tenth step as if counting. At the top, she wiped salt from the "
        "glass and watched the beam swing across the water, steady and indifferent. One "
        "night in late autumn the beam caught something it had never shown her before: a "
        "small wooden rowboat, drifting without oars, with a lantern burning in its bow. "
        "She hurried down to the shore, the cat complaining at her heels. By the time she "
        "reached the rocks, the boat had washed onto the shingle. It was empty, except "
        "for a folded letter addressed, in careful handwriting, to the keeper of the "
        "light."
    ),
    (
        "To fix a flat bicycle tire, first shift to the smallest rear cog so the wheel "
        "comes out easily, then open the brake quick release if you have rim brakes. "
        "Remove the wheel and let out any remaining air. Hook two tire levers under the "
        "bead about ten centimeters apart and pry one side of the tire off the rim. Pull "
        "out the tube and run your fingers carefully around the inside of the tire to "
        "find whatever caused the puncture; a tiny shard of glass left in place will "
        "flatten the new tube within minutes. Put a little air into the new tube so it "
        "holds its shape, tuck it into the tire, and work the bead back over the rim with "
        "your thumbs. Inflate to the pressure printed on the sidewall and check that the "
        "tube is not pinched anywhere."
    ),
    (
        "Python 的列表推导式可以用一行代码完成“遍历、筛选、加工”三件事，写起来比普通循环"
        "更简洁。比如要从一组成绩里挑出及格的分数并换算成百分制：\n"
        "\n"
        "scores = [52, 78, 91, 60, 45, 88]\n"
        "passed = [round(s / 100 * 150) for s in scores if s >= 60]\n"
        "print(passed)\n"
        "\n"
        "方括号里先写“要得到什么”，再写“从哪里取”，最后写“满足什么条件”。同样的思路也可以"
        "用来构造字典和集合，例如 {name: len(name) for name in names}。不过，推导式并不是"
        "越长越好，如果里面嵌套了好几层循环和判断，读起来反而费劲，这时候老老实实写成普通"
        "的 for 循环，再加上几行注释，往往更容易维护。"
    ),
    (
        "A short checklist for the day before a job interview:\n"
        "\n"
        "1. Reread the job posting and note the three skills they mention most.\n"
        "2. Prepare a two-minute summary of your recent work that connects to those "
        "skills.\n"
        "3. Think of one specific story about a problem you solved, with numbers if "
        "possible.\n"
        "4. Write down two questions about the team, not about salary or holidays.\n"
        "5. Check the route or test the video link, camera, and microphone.\n"
        "6. Lay out clothes that are slightly more formal than what the team wears daily.\n"
        "7. Print or save a copy of your resume so you can glance at the same version "
        "they have.\n"
        "8. Go to bed at a normal time instead of rehearsing until midnight."
    ),
    (
        "Photosynthesis is the process by which plants, algae, and some bacteria turn "
        "light into chemical energy. Inside the chloroplasts of a leaf, pigment molecules "
        "such as chlorophyll absorb mostly red and blue light, which is why leaves look "
        "green to us. That captured energy splits water molecules, releasing oxygen as a "
        "by-product and producing energy-carrying molecules. In a second set of "
        "reactions, the plant uses that stored energy to fix carbon dioxide from the air "
        "into sugars. Those sugars become the raw material for everything else the plant "
        "builds, from cellulose in its cell walls to the starch stored in roots and "
        "seeds. Nearly all the oxygen in the atmosphere and most of the food energy on "
        "Earth trace back to this process."
    ),
    (
        "鸡兔同笼是一道流传很广的数学题：笼子里有若干只鸡和兔，从上面数有三十五个头，从下"
        "面数有九十四只脚，问鸡和兔各有几只？一种巧妙的解法是“抬脚法”：假设让每只动物都抬"
        "起两只脚，那么鸡就全部坐在地上，兔子只剩两只脚站着。此时地上的脚数是九十四减去三"
        "十五乘二，也就是二十四只，这些脚全部属于兔子，每只兔子占两只，所以兔子有十二只，"
        "鸡就有二十三只。也可以用方程来解：设鸡有 x 只，兔有 y 只，那么 x + y = 35，2x + "
        "4y = 94，解得 x = 23，y = 12。两种方法结果一样，前者更直观，后者更通用。这道题很"
        "早就出现在古代的算书里，流传了一千多年，至今仍然是很多小学生接触方程思想的第一道"
        "题，老师们常用它来说明：同一个问题，可以有不止一种思路。"
    ),
    (
        "When a disk fills up unexpectedly, the first job is to find out what is using "
        "the space. On most Linux systems a couple of commands are enough:\n"
        "\n"
        "df -h\n"
        "du -xh /var 2>/dev/null | sort -h | tail -n 20\n"
        "find /home -xdev -type f -size +500M -printf '%s\\t%p\\n' | sort -n | tail\n"
        "\n"
        "The first line shows how full each mounted filesystem is. The second walks a "
        "directory tree, stays on one filesystem because of -x, and prints the twenty "
        "largest directories. The third lists individual files over 500 megabytes. Old "
        "log files, forgotten virtual machine images, and package caches are the usual "
        "suspects."
    ),
    (
        "Configuration files written in JSON are easy for programs to read but "
        "unforgiving for people to edit. A small example:\n"
        "\n"
        "{\n"
        "  \"server\": {\"host\": \"0.0.0.0\", \"port\": 8080},\n"
        "  \"cache_dir\": \"/var/cache/app\",\n"
        "  \"retries\": 3,\n"
        "  \"features\": [\"metrics\", \"compression\"]\n"
        "}\n"
        "\n"
        "Keys must be double-quoted strings, there are no comments, and a trailing comma "
        "after the last item is a syntax error. Numbers are written without quotes, and "
        "true, false, and null are lowercase. Many projects keep a validated schema "
        "alongside the file so that a typo such as \"retires\" is caught immediately rather "
        "than silently ignored at startup."
    ),
    (
        "坐高铁出行，提前做点准备能省下不少麻烦。购票时可以留意一下候补功能，热门线路的车"
        "票在开售后很快售罄，但临近发车时常常会有人退票。进站一般要刷身份证并进行安检，节"
        "假日人多，最好提前四十分钟左右到达车站。车厢里的座位按字母排列，靠窗的通常是A和F"
        "，想看沿途风景可以优先选择。行李架空间有限，大件行李可以放在车厢两端的行李区，但"
        "要记住自己放在了哪节车厢。长途乘车时，适当起身走动，喝些温水，可以缓解久坐带来的"
        "疲劳。另外，下车前检查一下座位周围和充电插座，手机、充电器之类的小东西最容易被落"
        "在车上。如果行程有变，记得尽早在购票软件上办理改签或退票，越临近发车，手续费往往"
        "越高。带小孩出行的话，可以准备一些零食、绘本和小玩具，帮助孩子打发路上的时间。"
    ),
    (
        "The network of routes later called the Silk Road was never a single road. It was "
        "a shifting web of caravan tracks, river crossings, mountain passes, and sea "
        "lanes that linked China with Central Asia, Persia, India, and the Mediterranean. "
        "Few merchants traveled the whole distance; goods usually passed from hand to "
        "hand through a chain of oasis towns, each taking a share of the profit. Silk "
        "moved west, while horses, glassware, silver, and wool moved east. Just as "
        "important as the goods were the ideas that traveled with them. Religions, "
        "musical instruments, crops such as grapes and alfalfa, and techniques like "
        "papermaking all spread along these routes, often more slowly than the trade "
        "itself but with effects that lasted far longer."
    ),
    (
        "Much of South Asia depends on the summer monsoon, a seasonal reversal of winds "
        "that brings most of the year's rain in just a few months. In spring, the land "
        "heats up much faster than the surrounding ocean, creating low pressure over the "
        "subcontinent. Moist air from the Indian Ocean flows in to replace the rising "
        "warm air, and as it climbs over hills and mountains it cools and releases heavy "
        "rain. The timing of the monsoon's arrival is watched closely because farmers "
        "plant rice, cotton, and many other crops around it. A delay of a couple of "
        "weeks, or a season with long dry gaps, can cut harvests and drain reservoirs, "
        "while an unusually intense monsoon can bring destructive floods."
    ),
    (
        "很多上班族一天要在电脑前坐上八九个小时，时间一长，肩颈发紧、腰背酸痛就成了常见的"
        "困扰。一个简单的办法是设个提醒，每隔四五十分钟站起来活动几分钟，去接杯水、伸伸懒"
        "腰，或者走到窗边看看远处，让眼睛也放松一下。显示器的顶部最好和视线大致齐平，屏幕"
        "离眼睛保持一臂左右的距离；椅子的高度以双脚能平放在地面、膝盖约成直角为宜。午休时"
        "哪怕只散步十分钟，也比一直坐着强。这些习惯看起来不起眼，坚持下来却能让身体舒服不"
        "少。当然，如果疼痛持续加重或者伴有手臂发麻，就应该及时去医院检查，而不是一味靠自"
        "己硬扛。另外，下班后适当安排一些运动，比如快走、游泳或者做做拉伸，都能帮助缓解一"
        "整天积累下来的紧张感。饮食上多喝白开水、少喝含糖饮料，也对身体有好处。"
    ),
    (
        "A refrigerator does not make cold; it moves heat from inside the box to the room "
        "outside. A refrigerant circulates in a closed loop. Inside the fridge, the "
        "liquid refrigerant passes through thin tubes at low pressure, where it "
        "evaporates and absorbs heat from the food compartment. A compressor then "
        "squeezes the vapor, raising its pressure and temperature. The hot gas flows "
        "through coils on the back or bottom of the appliance, where it releases heat "
        "into the kitchen and condenses into a liquid again. Finally, it passes through a "
        "narrow valve that drops its pressure, and the cycle repeats. This is why the "
        "back of a fridge feels warm, and why leaving the door open on a hot day actually "
        "warms the room a little."
    ),
    (
        "Compound interest means you earn interest on the interest you already earned. "
        "Suppose you deposit 2,000 dollars at an annual rate of 5 percent, compounded "
        "once a year. After the first year you have 2,100 dollars. In the second year the "
        "5 percent applies to 2,100, giving 2,205. After ten years the balance is 2,000 "
        "times 1.05 raised to the tenth power, roughly 3,258 dollars. With simple "
        "interest, the same deposit would have reached only 3,000. The difference looks "
        "modest at first but widens quickly over long periods, which is why starting to "
        "save early matters more than the exact amount. The same arithmetic works against "
        "you with credit card debt, where unpaid interest is added to the balance every "
        "month."
    ),
    (
        "各位同事：\n"
        "\n"
        "经研究决定，第三季度工作总结会将于下周三（15日）下午两点在公司三楼大会议室召开，"
        "预计时长两个小时。请各部门负责人于本周五下班前将本部门的季度总结提交至行政部邮箱"
        "，内容包括主要工作完成情况、存在的问题以及下一季度的工作计划，篇幅控制在三页以内"
        "。会议期间请将手机调至静音，如因出差等特殊原因无法参会，请提前向行政部说明，并指"
        "定一名同事代为汇报。会议资料将在开会前一天统一发放，届时请留意邮件。会议议程初步"
        "安排如下：首先由各部门负责人依次汇报，每人不超过十分钟；随后由分管领导进行点评；"
        "最后讨论下一季度的重点任务和跨部门协作事项。请各位提前做好准备，汇报时尽量用数据"
        "说明问题。\n"
        "\n"
        "如有疑问，请联系行政部王敏，分机号 8021。\n"
        "\n"
        "行政部"
    ),
    (
        "\"Morning, Tom. Have you got a minute about the fence?\"\n"
        "\"Sure. Is the wind still pushing that panel over?\"\n"
        "\"It's leaning even more since Tuesday. I was thinking we could replace the two "
        "end posts together and split the cost.\"\n"
        "\"That seems fair. Do you want to use wood again, or try the concrete posts?\"\n"
        "\"Concrete lasts longer. The hardware shop quoted me about ninety for the pair.\"\n"
        "\"So forty-five each. I can do Saturday morning if you bring the post hole "
        "digger.\"\n"
        "\"Deal. I'll pick up the posts on Friday. Coffee's on me.\"\n"
        "\"Then I'll bring the biscuits. See you at nine.\""
    ),
    (
        "Meeting summary — website redesign, weekly sync\n"
        "\n"
        "Attendees: Priya (design), Jonas (engineering), Lena (content), Sam (project "
        "lead).\n"
        "Decisions: the new navigation with four top-level sections is approved. The blog "
        "will move to a subdomain after launch, not before. Product pages will keep their "
        "current URLs to avoid breaking search rankings.\n"
        "Open issues: Jonas needs final image sizes by Thursday to finish the responsive "
        "layout. Lena is still waiting on legal review for the pricing page wording.\n"
        "Action items: Priya sends the image specification tomorrow; Sam follows up with "
        "legal; Lena drafts the launch announcement.\n"
        "Next meeting: Tuesday at 10:00."
    ),
    (
        "外婆家有一台老式收音机，木头外壳，正面蒙着一块已经褪色的格子布，调台要转一个圆圆"
        "的旋钮，指针在刻度盘上慢慢滑过，中间夹杂着沙沙的杂音。小时候每到暑假，我都在外婆"
        "家住上一个月。每天傍晚，她一边择菜，一边把收音机调到戏曲频道，跟着里面的唱腔轻轻"
        "哼几句。我听不懂唱的是什么，只觉得那声音拖得很长，像院子里的树影一样慢。后来外婆"
        "搬进城里，收音机被装进纸箱，放到了储物间。前年整理旧物时，我把它找了出来，换了电"
        "池，拧开开关，它居然还能响。杂音还是那么大，我却在沙沙声里听了好久，好像又回到了"
        "那个有蝉鸣、有晚霞的夏天。那台收音机如今就摆在我的书架上，我很少打开它，但每次路"
        "过都会看上一眼。它早已不只是一件电器，而是一段被好好收藏起来的时光。"
    ),
    (
        "Mina found the map inside a hollow in the attic wall, rolled tightly and tied "
        "with a faded ribbon. It showed her own street, but wrong: the bakery on the "
        "corner was a stable, and where the supermarket stood there was a pond with a "
        "small island in the middle. Someone had drawn a tiny star on the island and "
        "written a single word beside it in brown ink: \"Here.\" She spent the afternoon at "
        "the town library comparing the map with old photographs until the librarian, "
        "curious, brought out a box of records nobody had opened in years. The pond, it "
        "turned out, had been filled in before her grandmother was born. But the island's "
        "oak tree was still there, now in the corner of the supermarket car park, its "
        "roots lifting the asphalt."
    ),
    (
        "A sourdough starter is a living culture of wild yeast and lactic acid bacteria, "
        "and keeping it healthy is mostly a matter of routine feeding. At room "
        "temperature, discard all but a small spoonful of the starter once a day and mix "
        "it with equal weights of flour and water. Within a few hours it should rise, "
        "develop bubbles throughout, and smell pleasantly sour, a little like yogurt. If "
        "it smells sharply of nail polish remover, it is hungry and needs more frequent "
        "feeding. For bakers who only bake on weekends, a starter can live in the "
        "refrigerator and be fed once a week, then brought back to full strength with two "
        "or three room-temperature feedings before mixing the dough."
    ),
    (
        "泡一杯好喝的绿茶，关键在于水温和时间。绿茶没有经过发酵，叶片比较细嫩，用刚烧开的"
        "沸水直接冲泡，容易把茶叶烫熟，茶汤发苦，香气也会散得很快。比较合适的做法是把烧开"
        "的水先倒进公道杯或者敞口放一会儿，等降到八十度左右再用。玻璃杯泡茶可以先注入三分"
        "之一的水，放入茶叶，轻轻摇一摇让叶片舒展开，再沿杯壁把水加到七分满。第一泡一般一"
        "两分钟就可以喝了，喝到杯中还剩三分之一时续水，味道比较均匀。茶叶的用量因人而异，"
        "初次尝试可以按一克茶叶配五十毫升水来掌握。好的绿茶茶汤清亮，入口微苦后回甘，闻起"
        "来有一股清新的豆香或栗香。泡好的茶最好当天喝完，隔夜的茶水放久了口感会变差。没喝"
        "完的茶叶要密封后放在阴凉干燥的地方，有条件的可以放进冰箱冷藏，避免受潮和串味。"
    ),
    (
        "During exercise, the body loses water mainly through sweat, and the amount "
        "varies widely from person to person and with heat and humidity. For most "
        "everyday workouts lasting under an hour, plain water is enough. Drinking "
        "steadily through the day is usually more useful than trying to gulp a large "
        "amount right before a run. On long, hot sessions, people who sweat heavily also "
        "lose salt, and a drink or snack containing some sodium can help. Thirst is a "
        "reasonable guide for healthy adults, and the color of urine gives a rough hint: "
        "pale yellow generally means things are fine. Drinking far more than needed can "
        "also cause problems, so more is not always better. Anyone with heart or kidney "
        "conditions should follow advice from their own clinician."
    ),
    (
        "Some of the most memorable journeys are made by slow train through the "
        "mountains. The line climbs in long loops, sometimes passing through a spiral "
        "tunnel and emerging higher up the same valley, so that you can look down on the "
        "tracks you covered ten minutes earlier. Villages cling to terraces, and the "
        "station platforms are short enough that the last carriage stops beside a meadow. "
        "Sit on the side of the train that faces the valley, which usually means checking "
        "the route map before boarding. Bring a layer even in summer, since the "
        "temperature drops noticeably at the higher stations. Many of these lines run "
        "only a few times a day, so it pays to note the return times before wandering off "
        "at an intermediate stop."
    ),
    (
        "搬家前的准备清单：\n"
        "\n"
        "一、提前两周联系搬家公司，问清楚报价是否包含楼层费、大件拆装费和包装材料。\n"
        "二、按房间分类打包，每个箱子贴上标签，写明房间和主要物品，易碎品另外做标记。\n"
        "三、把证件、合同、现金、常用药和充电器单独放在一个随身包里，不要交给搬家工人。\n"
        "四、提前办理水电燃气的过户或停用手续，记录好旧房子的表数。\n"
        "五、更新快递地址、银行和各类账户里的联系地址。\n"
        "六、搬家当天先把床和洗漱用品安顿好，其余的东西可以慢慢整理。\n"
        "七、检查旧房子的抽屉、柜顶和阳台角落，确认没有遗漏，再与房东交接钥匙。\n"
        "八、住进新家后，先检查门锁、水电和燃气是否正常，必要时更换门锁芯，再慢慢添置日常"
        "用品。\n"
        "九、留出一两天休息时间，别把搬家和重要的工作安排在同一周。"
    ),
    (
        "The outer shell of the Earth is broken into large rigid plates that move a few "
        "centimeters a year, about as fast as fingernails grow. Where plates pull apart, "
        "as in the middle of the Atlantic, molten rock rises to fill the gap and forms "
        "new ocean floor. Where they collide, one plate may dive beneath another, "
        "creating deep trenches, chains of volcanoes, and powerful earthquakes. When two "
        "continents meet head-on, neither sinks easily, so the crust crumples and "
        "thickens into high mountain ranges. Plates can also grind past each other "
        "sideways along faults that build up strain for decades and release it in sudden "
        "slips. Much of the Earth's geography, from the shape of coastlines to the "
        "location of mineral deposits, is a record of these slow movements."
    ),
    (
        "Recursion means a function solves a problem by calling itself on a smaller "
        "version of the same problem. The factorial function is the usual first example:\n"
        "\n"
        "def factorial(n: int) -> int:\n"
        "    if n < 0:\n"
        "        raise ValueError(\"n must be non-negative\")\n"
        "    if n in (0, 1):\n"
        "        return 1\n"
        "    return n * factorial(n - 1)\n"
        "\n"
        "Every recursive function needs a base case that stops the chain of calls, here n "
        "equal to 0 or 1. Without it, the calls would continue until Python raises "
        "RecursionError. For large inputs a simple loop is often faster and avoids the "
        "recursion limit, but recursion remains the most natural way to express problems "
        "on trees and nested structures."
    ),
    (
        "垃圾分类刚推行的时候，很多人站在垃圾桶前犯难：吃剩的骨头算什么？用过的纸巾又该扔"
        "哪里？其实掌握几个原则就不难了。容易腐烂的剩菜剩饭、果皮菜叶属于厨余垃圾，但大块"
        "骨头不容易粉碎处理，很多城市把它归入其他垃圾。纸张、塑料瓶、金属罐、玻璃瓶这类可"
        "以回收再利用的，属于可回收物，投放前最好倒掉里面的液体，压扁一点节省空间。过期药"
        "品、废电池、废灯管等含有害成分的物品要投进有害垃圾桶。用过的纸巾因为已经被污染、"
        "难以回收，一般属于其他垃圾。各地的标准略有差异，遇到拿不准的情况，查一查当地的指"
        "南，或者问问小区的分类指导员，会比自己瞎猜靠谱得多。说到底，分类只是第一步，从源"
        "头上少用一次性用品，比如出门自带水杯和购物袋、点外卖时选择不要餐具，才是减少垃圾"
        "更根本的办法。"
    ),
    (
        "A simple monthly budget starts with one question: where did the money actually "
        "go last month? Gather bank and card statements and sort every expense into a "
        "handful of categories, such as housing, food, transport, bills, debt payments, "
        "and everything else. Most people are surprised by at least one category, often "
        "takeaway meals or small subscriptions that renew quietly. Next, subtract fixed "
        "costs from take-home pay to see what is left for flexible spending and savings. "
        "A common rule of thumb is to set aside savings at the start of the month, before "
        "spending begins, rather than hoping something remains at the end. Review the "
        "numbers each month for the first few months; a budget becomes useful only once "
        "it reflects real habits."
    ),
    (
        "Before the electric telegraph, news could travel no faster than a horse, a ship, "
        "or a chain of signal towers on clear days. When wires began to stretch between "
        "cities in the nineteenth century, messages that once took a week could arrive "
        "within minutes. Operators tapped out coded pulses, and newspapers soon relied on "
        "wire reports from distant places. Railways used the telegraph to coordinate "
        "trains on single tracks, which made travel much safer. Markets changed too, "
        "because prices in one city could be known in another on the same day. Later, "
        "cables laid across ocean floors connected continents. The experience of reading "
        "yesterday's events from the far side of the world began to seem ordinary "
        "remarkably quickly."
    ),
    (
        "很多人以为夏天热是因为地球离太阳更近，其实恰恰相反，北半球的夏天，地球离太阳反而"
        "稍远一些。四季变化的真正原因是地轴是倾斜的。地球绕太阳公转时，地轴始终指向大致相"
        "同的方向，于是一年中有一段时间北半球朝太阳倾斜，阳光照射的角度更直，白天也更长，"
        "地面接收到的热量多，就是夏季；半年后情况反过来，阳光斜射，白天变短，就进入了冬季"
        "。南半球的季节和北半球正好相反，所以当我们过春节穿棉衣的时候，澳大利亚的人们正在"
        "海边避暑。赤道附近一年到头阳光都比较直射，季节变化不明显；而到了极地附近，甚至会"
        "出现整天不落的太阳和长达数月的黑夜。所以，下次再有人问起为什么会有四季，你就可以"
        "告诉他：答案不在于距离，而在于那根倾斜了大约二十三度半的地轴。"
    ),
    (
        "If you roll two ordinary six-sided dice, what is the probability that the total "
        "is 7? There are 6 times 6, or 36, equally likely outcomes when the dice are "
        "distinguishable. The pairs that add up to 7 are (1,6), (2,5), (3,4), (4,3), "
        "(5,2), and (6,1), six in total, so the probability is 6 out of 36, or one sixth. "
        "By contrast, a total of 2 needs both dice to show 1, which happens only once in "
        "36 rolls. Now a slightly harder question: what is the chance of rolling at least "
        "one six in four rolls of a single die? It is easier to compute the opposite. The "
        "chance of no six in one roll is 5/6, so in four rolls it is (5/6) to the fourth "
        "power, about 0.482. The chance of at least one six is therefore about 0.518."
    ),
    (
        "Repotting a houseplant is best done in spring, when it is starting to grow "
        "actively. Choose a new pot only a few centimeters wider than the old one and "
        "make sure it has a drainage hole. Water the plant lightly the day before so the "
        "root ball holds together. Turn the old pot on its side, support the base of the "
        "stems with one hand, and ease the plant out; tapping the rim against a table "
        "edge usually helps. If the roots are circling tightly, gently tease some of them "
        "loose. Put a layer of fresh potting mix in the new pot, set the plant at the "
        "same depth it was growing before, fill around the sides, and press lightly. "
        "Water thoroughly and keep it out of harsh direct sun for a week while it "
        "settles."
    ),
    (
        "“小周，官网改版的进度怎么样了？”\n"
        "“首页和产品页的设计稿已经定了，前端这周能做完大概七成。”\n"
        "“那登录注册那块呢？上次说接口还没联调。”\n"
        "“后端昨天给了测试环境，我们今天下午开始联调，要是没什么大问题，周四就能提测。”\n"
        "“测试那边人手够吗？下周他们还要跟另一个项目。”\n"
        "“我跟测试组长沟通过了，他们可以先安排一个人过来，先测主流程，细节问题放到第二轮"
        "。”\n"
        "“行，那上线时间先按下周五来排。有风险随时跟我说，别拖到最后一天。”\n"
        "“好的，我每天下班前在群里同步一下进度。”\n"
        "“对了，上线前记得跟客服那边打个招呼，把改版的主要变化整理成一页说明，免得用户来"
        "问的时候他们答不上来。”\n"
        "“明白，我明天就整理一份发给他们。”"
    ),
    (
        "Every evening at six, Mr. Oduya pulled his cart into the same corner of the "
        "night market and lit the two burners. He sold only one thing, grilled corn "
        "brushed with lime and chili, and he never changed the price. Students came after "
        "late lectures, nurses after long shifts, and a quiet old man who always asked "
        "for the smallest ear. One rainy week the market emptied early, and Mr. Oduya was "
        "about to pack up when the old man appeared, soaked, holding an umbrella over a "
        "little girl. \"My granddaughter,\" he said. \"I told her you make the best corn in "
        "the city.\" Mr. Oduya chose the two biggest ears he had, brushed them twice, and "
        "refused the coins. The girl ate hers in silence, then solemnly declared that her "
        "grandfather was right."
    ),
    (
        "People usually picture a desert as sand dunes under a blazing sun, but "
        "geographers define deserts by how little precipitation they receive, not by "
        "temperature. By that measure the largest desert on Earth is Antarctica, where "
        "the interior gets less snow each year than many hot deserts get rain. The Arctic "
        "also contains vast polar deserts. Cold deserts exist at lower latitudes too, on "
        "high plateaus and in the rain shadows of mountain ranges, where winters are "
        "freezing and summers are short and dry. What all deserts share is scarce water, "
        "sparse vegetation, and large swings in temperature between day and night, "
        "because dry air holds heat poorly. Life in these places tends to be slow, "
        "patient, and remarkably efficient with every drop."
    ),
    (
        "排查线上问题时，经常需要从海量日志里找线索。假设服务的访问日志每行的第九个字段是"
        "状态码，想统计一下今天各种状态码分别出现了多少次，可以这样写：\n"
        "\n"
        "awk '{print $9}' access.log | sort | uniq -c | sort -rn | head\n"
        "\n"
        "awk 负责把第九列取出来，sort 先排序，uniq -c 把相同的行合并并计数，再用 sort -rn "
        "按数量从大到小排列，最后用 head 只看前十行。如果只关心报错的请求，可以先用 grep "
        "' 500 ' 过滤一下。管道的好处就在于每个命令只做一件小事，组合起来却能完成相当复杂"
        "的分析，而且不需要专门写脚本。日志量特别大的时候，也可以先用 tail 只取最近的一部"
        "分再分析。"
    ),
    (
        "HTTP status codes are three-digit numbers that tell a client how a request went. "
        "Codes in the 200s mean success: 200 is a normal response, 201 means something "
        "was created, and 204 means success with no body. The 300s are redirects, such as "
        "301 for a permanent move and 304 for \"not modified,\" which lets a browser reuse "
        "its cached copy. The 400s signal a problem with the request: 400 for malformed "
        "input, 401 when authentication is missing, 403 when the user is known but not "
        "allowed, 404 when nothing exists at that address, and 429 when the client is "
        "sending too many requests. The 500s mean the server failed, for example 500 for "
        "an unexpected error and 503 when the service is temporarily overloaded or down "
        "for maintenance."
    ),
    (
        "Subject: Request to move Thursday's review\n"
        "\n"
        "Dear Professor Lindqvist,\n"
        "\n"
        "Thank you again for agreeing to review my draft chapter. I am writing to ask "
        "whether we could move our meeting from Thursday at 14:00 to Friday at any time "
        "that suits you. The lab has scheduled an equipment calibration on Thursday "
        "afternoon that requires me to be present, and it could not be rearranged. I will "
        "send the revised chapter by Wednesday evening as promised, so you would still "
        "have it well before we meet. If Friday is difficult, I could also do early "
        "Thursday morning before nine.\n"
        "\n"
        "With apologies for the inconvenience and many thanks,\n"
        "Ines Moreau"
    ),
    (
        "青藏高原平均海拔在四千米以上，被称为“世界屋脊”。这里空气稀薄，含氧量只有平原地区"
        "的六成左右，初到高原的人常常会感到头痛、气短、睡不好觉，需要几天时间慢慢适应。高"
        "原上日照强烈，紫外线很强，即使气温不高，也容易晒伤。由于海拔高、气候寒冷，很多地"
        "方只能生长耐寒的草本植物，形成一望无际的高寒草甸，牦牛和藏羊是当地牧民最重要的牲"
        "畜。青藏高原还是亚洲许多大江大河的发源地，冰川和积雪融化后汇成溪流，一路向东、向"
        "南奔流而下，因此也有人把这里称作“亚洲水塔”。它的变化，不只影响当地，也关系到下游"
        "广大地区的水资源。去高原旅行，前两天最好少洗澡、不剧烈运动，多喝水、多休息，让身"
        "体逐步适应；如果出现严重的头痛、呕吐或呼吸困难，要及时就医并尽快转移到海拔较低的"
        "地方。"
    ),
    (
        "Hearing begins when sound waves, which are tiny ripples in air pressure, enter "
        "the ear canal and make the eardrum vibrate. Three small bones in the middle ear "
        "pass those vibrations along and amplify them, delivering them to a fluid-filled, "
        "snail-shaped structure called the cochlea. Inside the cochlea, thousands of hair "
        "cells sit along a membrane that varies in stiffness from one end to the other. "
        "High-pitched sounds make the stiff end vibrate most, and low-pitched sounds move "
        "the floppy end. When hair cells bend, they send electrical signals along the "
        "auditory nerve to the brain, which assembles them into voices, music, and noise. "
        "Hair cells do not regrow in humans, which is one reason long exposure to very "
        "loud sound can cause lasting damage."
    ),
    (
        "The sky looks blue because molecules in the air scatter short wavelengths of "
        "sunlight much more strongly than long ones. Blue light is scattered in every "
        "direction, so wherever you look away from the sun, some of that scattered blue "
        "reaches your eyes. Violet is scattered even more, but sunlight contains less of "
        "it, some is absorbed high in the atmosphere, and our eyes are less sensitive to "
        "it, so the overall impression is blue. At sunrise and sunset, sunlight travels "
        "through a much longer stretch of air before reaching you. Most of the blue has "
        "been scattered out of the direct beam along the way, leaving the reds and "
        "oranges that color the clouds. Dust and smoke can make those colors even more "
        "intense."
    ),
    (
        "小镇上原本有一家旧书店，店面不大，书架一直顶到天花板，老板是一位戴着老花镜的中年"
        "人，总是坐在门口的藤椅上看书。镇上的孩子放了学喜欢往那里跑，因为老板从来不赶人，"
        "蹲在角落里看一下午也没关系。有一年，书店门口贴出了告示，说房租上涨，月底就要关门"
        "。第二天，来店里的人突然多了起来：有人买走一摞旧杂志，有人带来自己家里不看的书寄"
        "卖，还有几个已经在外地工作的年轻人，在网上发起了募捐。月底那天，告示被撕了下来，"
        "换上了一张手写的纸条：“本店继续营业，感谢各位。”老板还是坐在门口的藤椅上，只是那"
        "天他一页书也没有翻。后来，书店门口多了一块小黑板，每周写一句读者推荐的话。孩子们"
        "长大了，有的去了远方，回来的时候，总要先到书店坐一坐，好像只有这样，才算真正回到"
        "了小镇。"
    ),
    (
        "Most home cooks can get faster and safer in the kitchen by learning just a few "
        "knife skills. Hold the knife with your thumb and index finger pinching the blade "
        "just in front of the handle, which gives far more control than gripping the "
        "handle alone. Curl the fingertips of your other hand under, so your knuckles "
        "guide the side of the blade and your fingertips stay out of the way. Keep the "
        "tip of a chef's knife on the board and rock the blade down and forward through "
        "the food. Cut round vegetables in half first so they sit flat instead of "
        "rolling. Above all, keep the knife sharp: a dull blade needs more force, slips "
        "more easily, and is the one most likely to cut you."
    ),
    (
        "A cryptographic hash function takes any input, from a single letter to a file of "
        "many gigabytes, and produces a short fixed-length fingerprint. SHA-256, for "
        "instance, always outputs 256 bits, usually written as 64 hexadecimal characters. "
        "A good hash has several useful properties: the same input always gives the same "
        "output, changing even one bit of the input changes about half the bits of the "
        "output, and it is computationally infeasible to find two different inputs with "
        "the same fingerprint. That makes hashes ideal for checking downloads. If the "
        "hash you compute locally matches the one published by the source, you can be "
        "confident the file arrived intact and was not altered along the way, at least as "
        "long as you trust where the published hash came from."
    ),
    (
        "记账听上去有点麻烦，坚持一段时间后却会发现好处不少。最直接的，是能看清钱到底花在"
        "了哪里。很多人月底看着余额纳闷，一查账本才发现，每天一杯奶茶、几次外卖，加起来竟"
        "然占了不少开销。有了清晰的数据，再去制定预算就不再是拍脑袋。记账也不必太复杂，刚"
        "开始可以只分成几大类，比如吃饭、交通、居住、购物和娱乐，每天花一两分钟记录就够了"
        "。手机上的记账软件能自动生成图表，一目了然。重要的是养成习惯，不要因为某一天忘了"
        "记就彻底放弃。等到记满三个月，回头看看，你对自己的消费习惯会有一个全新的认识。如"
        "果和家人一起记账，还可以把共同开销单独列出来，每月对一下账，既清楚又能减少因为钱"
        "产生的小摩擦。等积累的数据多了，年底回顾一年的收支，规划来年的目标也会更有底气。"
    ),
    (
        "Customer: Hi, my order was supposed to arrive Monday and the tracking hasn't "
        "updated since Friday.\n"
        "Agent: I'm sorry about that. Could you share the order number?\n"
        "Customer: It's 88-2031-K.\n"
        "Agent: Thanks. I can see the parcel was scanned at the regional depot on Friday "
        "and then missed its connection. It's been rerouted and should go out for "
        "delivery tomorrow.\n"
        "Customer: Okay. Is there anything you can do about the shipping fee? I paid for "
        "express.\n"
        "Agent: Yes, since the express window was missed, I've refunded the shipping "
        "charge to your original payment method. It may take three to five business days "
        "to appear.\n"
        "Customer: That's fair, thank you.\n"
        "Agent: You're welcome. If it hasn't arrived by Thursday evening, reply to this "
        "chat and I'll open a trace with the carrier."
    ),
    (
        "The clockmaker's shop had no sign, only a window full of clocks that all showed "
        "different times. Children assumed he was bad at his job. In fact, each clock was "
        "set to the hour in a city where someone he loved had once lived. The brass "
        "carriage clock kept the time of a port where his brother had been a ferry "
        "captain. The cuckoo clock followed a mountain town where he had learned the "
        "trade as a boy. The smallest one, a plain wooden clock with a cracked face, ran "
        "eleven hours ahead, and he never explained it to anyone. When he finally "
        "retired, his apprentice kept every clock running exactly as before, and began, "
        "without quite deciding to, setting a new one to the time of a city far across "
        "the ocean."
    ),
    (
        "早上八点的地铁站，是一座城市最有节奏感的地方。人们排成整齐的队伍，车门一开，下车"
        "的人先涌出来，上车的人再一步步挤进去，谁也不多说一句话。车厢里，有人低头刷着手机"
        "，有人戴着耳机闭目养神，有人一手拉着吊环，一手拿着包子匆匆吃完早饭。换乘通道里，"
        "脚步声汇成一片，像一条不停流动的河。偶尔有初来乍到的游客拿着地图站在路中间犹豫，"
        "很快就有人顺手指一下方向。二十分钟后，人潮在各个站点散开，走进写字楼、学校和医院"
        "。到了傍晚，同样的场景再倒着演一遍，城市就在这样的往返之间，一天天地运转着。有人"
        "说，地铁是观察一座城市最好的窗口：每一张匆忙的面孔背后，都有一个正在努力生活的故"
        "事。那些在车厢里打盹的人，也许昨晚加班到深夜，也许天不亮就出了门，只为了赶上这一"
        "班车。"
    ),
    (
        "A basic home emergency kit does not need to be elaborate, but it should be easy "
        "to find in the dark. Useful items include:\n"
        "\n"
        "- drinking water, roughly three days' worth for each person and pet\n"
        "- canned or dried food that needs no cooking, plus a manual can opener\n"
        "- a flashlight or headlamp with spare batteries\n"
        "- a battery or hand-crank radio\n"
        "- a basic first aid kit and a few days of any regular medications\n"
        "- copies of important documents in a waterproof bag\n"
        "- some cash in small notes\n"
        "- a phone charger and a power bank\n"
        "- warm layers, a blanket, and sturdy shoes\n"
        "\n"
        "Check the kit twice a year and replace water, food, and batteries before they "
        "expire."
    ),
    (
        "SQL lets you ask questions of a database by describing the result you want "
        "rather than the steps to get it. Suppose a table called orders has columns for "
        "customer_id, amount, and created_at. To find the five customers who spent the "
        "most this year:\n"
        "\n"
        "SELECT customer_id, SUM(amount) AS total\n"
        "FROM orders\n"
        "WHERE created_at >= '2024-01-01'\n"
        "GROUP BY customer_id\n"
        "ORDER BY total DESC\n"
        "LIMIT 5;\n"
        "\n"
        "WHERE filters rows before grouping, GROUP BY collapses each customer's orders "
        "into one row, and SUM adds the amounts. If you wanted to keep only customers "
        "whose total exceeds some threshold, you would add a HAVING clause after GROUP "
        "BY, because HAVING filters groups rather than individual rows."
    ),
    (
        "蜜蜂发现了好的花源以后，会回到蜂巢里跳一种特别的舞蹈，把位置告诉同伴。如果花源离"
        "蜂巢比较近，它会原地转圈，跳所谓的“圆舞”；如果距离较远，就会跳“摇摆舞”，沿着一条"
        "直线一边前进一边摆动腹部，然后绕回起点，再重复一遍。直线的方向和竖直方向之间的夹"
        "角，对应着花源方向和太阳方向之间的夹角；摆动持续的时间越长，说明花源越远。其他工"
        "蜂围在旁边，用触角感受舞蹈的动作，再结合它身上带回的花香，就能飞出去找到那片花丛"
        "。一只小小的昆虫，能用这样精确的方式传递信息，至今仍让研究它的科学家们惊叹不已。"
        "除了跳舞，蜜蜂还会通过气味交流，比如蜂王会释放特殊的信息素，让整个蜂群保持秩序；"
        "守门的工蜂则能靠气味分辨出谁是自己人、谁是外来者。"
    ),
    (
        "Ice floats, which is unusual. Most substances are denser as solids than as "
        "liquids, so their solid form sinks. Water behaves differently because of "
        "hydrogen bonds, weak attractions between the hydrogen atoms of one molecule and "
        "the oxygen of its neighbors. As water freezes, these bonds lock the molecules "
        "into an open hexagonal lattice that takes up more space than the liquid. That is "
        "why ice is about nine percent less dense than cold water and why frozen pipes "
        "can burst. The consequence for life is enormous. Lakes freeze from the top down, "
        "and the floating ice insulates the water beneath it, allowing fish and other "
        "organisms to survive the winter in liquid water near the bottom."
    ),
    (
        "Learning a new language as an adult goes better with small, daily practice than "
        "with occasional marathon sessions. Fifteen minutes every morning builds more "
        "lasting memory than two hours on a Sunday, because the brain consolidates what "
        "it has learned during sleep and benefits from repeated retrieval. Flashcard apps "
        "that schedule reviews just before you would forget a word make this efficient. "
        "Listening matters as much as vocabulary: podcasts or shows aimed at learners, "
        "played at a comfortable speed, train the ear to split a stream of sound into "
        "words. Speaking early, even badly, also helps. Mistakes are not a sign of "
        "failure but the raw material for improvement, and most native speakers are "
        "pleased to hear someone making the effort."
    ),
    (
        "学习一门乐器，最难的往往不是开始，而是开始后的第三个月。刚入门时，每学会一首简单"
        "的曲子都很有成就感；等新鲜感过去，练习变得重复，进步又不那么明显，很多人就在这个"
        "阶段放弃了。想坚持下去，可以把目标定得具体一些，比如“这周把这一段弹熟”，而不是笼"
        "统地说“要好好练琴”。每天练二十分钟，比周末突击两个小时更有效。练习时可以用手机录"
        "下来，隔一段时间回头听，会发现自己其实进步了不少。另外，找几个一起学的朋友，或者"
        "定期给家人表演一下，也能带来额外的动力。音乐本来是为了快乐，别让练习变成一种负担"
        "。也别太在意和别人比较，有人学得快，有人学得慢，只要今天的自己比昨天多弹对了一个"
        "小节，就是实实在在的进步。等到某一天能为朋友完整地演奏一首曲子，之前所有的辛苦都"
        "会变得很值得。"
    ),
    (
        "Version control systems keep a history of every change to a set of files. "
        "Instead of saving copies named report_final_v3_really_final.docx, you record "
        "snapshots, each with a short message describing what changed and why. If a "
        "change breaks something, you can compare it with the previous version or go back "
        "entirely. Branches let you try an idea in isolation without disturbing the main "
        "line of work, and merging brings the good ideas back together. For teams, a "
        "shared history answers questions that otherwise cause long email threads: who "
        "changed this line, when, and for what reason. Even people working alone on "
        "writing or data analysis benefit, because the history acts as both an undo "
        "button and a lab notebook."
    ),
    (
        "Tides are caused mainly by the Moon's gravity pulling slightly harder on the "
        "side of the Earth facing it than on the far side. This difference stretches the "
        "oceans into two bulges, one toward the Moon and one away from it, and the Earth "
        "rotates beneath them. Most coasts therefore see two high tides and two low tides "
        "roughly every twenty-five hours. The Sun adds its own smaller effect. When the "
        "Sun and Moon line up at new and full moon, their pulls combine to produce larger "
        "spring tides; when they are at right angles, the range is smaller. The shape of "
        "the coastline and seafloor can amplify the effect enormously, which is why some "
        "bays see a difference of many meters between high and low water."
    ),
    (
        "在中国北方，冬天的暖气是一件大事。每年十一月中旬前后，城市集中供暖开始，屋里一下"
        "子暖和起来，穿着短袖在家走来走去也不觉得冷。可暖气也让空气变得格外干燥，早上起来"
        "嗓子发干、嘴唇起皮是常有的事。不少家庭会在屋里放一台加湿器，或者在暖气片上搭一条"
        "湿毛巾，再养几盆绿植。南方的情况则完全不同，大部分地区没有集中供暖，冬天室内外温"
        "度差不多，湿冷的空气往骨头缝里钻，人们只能靠空调、电暖器和厚厚的棉被过冬。于是每"
        "到冬天，网上总有南北方网友互相“吐槽”，一边羡慕对方，一边又觉得自己那边的冬天更难"
        "熬。其实，无论南方还是北方，过冬的办法都离不开生活的智慧：北方人在干燥中学会了保"
        "湿，南方人在湿冷里练就了“抗冻”的本领，而一碗热汤、一床晒过太阳的被子，在哪里都是"
        "最温暖的慰藉。"
    ),
)


CALIBRATION_CHAT: tuple[tuple[str, str], ...] = (
    (
        "How do I boil an egg so the yolk is still a bit soft?",
        (
            "Bring a pot of water to a gentle boil, then lower the eggs in with a spoon so "
            "they don't crack against the bottom. For a jammy yolk that is set at the edges "
            "but soft in the middle, cook large eggs straight from the fridge for about 6 and "
            "a half to 7 minutes. Meanwhile, fill a bowl with cold water and ice. As soon as "
            "the time is up, move the eggs into the ice bath for a few minutes; this stops "
            "the cooking and makes them easier to peel. Tap the wide end first, where the air "
            "pocket is, and peel under a thin stream of water."
        ),
    ),
    (
        "What's the difference between a list and a tuple in Python?",
        (
            "Both are ordered sequences, but a list is mutable and a tuple is not. You can "
            "append, remove, or change items in a list after creating it, while a tuple's "
            "contents are fixed once it exists. That immutability has practical consequences: "
            "tuples can be used as dictionary keys or set members (as long as their items are "
            "hashable too), and they signal to readers that the collection isn't supposed to "
            "change. Lists are the natural choice for collections that grow or get sorted in "
            "place. For example, coordinates like (x, y) are usually tuples, while a queue of "
            "pending jobs is usually a list."
        ),
    ),
    (
        "晚上总是睡不着，有什么办法吗？",
        (
            "偶尔失眠很常见，可以先从调整作息和睡前习惯入手。第一，尽量每天固定时间上床和起床"
            "，周末也别相差太多，让身体形成规律。第二，睡前一小时少看手机和电脑，屏幕的强光会"
            "让大脑保持兴奋，可以换成看纸质书或者听点轻音乐。第三，下午以后少喝咖啡、浓茶和功"
            "能饮料，晚饭也别吃得太饱。第四，卧室保持安静、昏暗、温度稍凉一些。如果躺了二十多"
            "分钟还睡不着，不妨起来到别的房间做点轻松的事，有困意了再回床上。要是失眠持续好几"
            "周，白天明显没精神，建议去医院的睡眠门诊看看，找出具体原因。"
        ),
    ),
    (
        "Can you explain what a mortgage offset account is, in simple terms?",
        (
            "An offset account is an ordinary transaction or savings account linked to your "
            "home loan. Instead of earning interest, the balance in it is subtracted from "
            "your loan balance when the bank calculates interest. So if you owe 300,000 and "
            "keep 20,000 in the offset account, you are charged interest as if you owed only "
            "280,000. You can still withdraw the money whenever you like, which makes it more "
            "flexible than making extra repayments directly into the loan. The benefit is "
            "largest when you keep a healthy balance there for a long time. It's worth "
            "checking whether the account carries extra fees, since those can eat into the "
            "savings."
        ),
    ),
    (
        (
            "Write a short, polite message declining a meeting invitation because I'm on "
            "leave."
        ),
        (
            "Here's a version you can adapt:\n"
            "\n"
            "\"Hi Jordan, thanks for the invitation to Thursday's planning session. "
            "Unfortunately I'll be on leave from the 12th to the 19th, so I won't be able to "
            "attend. Alex is covering for me while I'm away and is up to date on the budget "
            "figures, so please feel free to loop them in. I'd be grateful if you could share "
            "the notes afterward, and I'm happy to follow up on anything that needs my input "
            "when I'm back on the 20th. Best regards, Sam\"\n"
            "\n"
            "If the meeting is important to you, you could also suggest a short catch-up "
            "before you leave."
        ),
    ),
    (
        "帮我写一段请假条，明天家里有事需要请一天假。",
        (
            "可以参考下面这段：\n"
            "\n"
            "尊敬的李经理：\n"
            "\n"
            "您好！因家中有急事需要处理，我需要于明天（X月X日）请事假一天。手头正在进行的季度"
            "报表已经完成了大部分，剩余部分我今晚会整理好发到共享文件夹，并已和同事小陈沟通，"
            "请她在我请假期间帮忙接听客户电话、处理紧急事项。请假期间我会保持手机畅通，如有需"
            "要可以随时联系我。给您和团队带来不便，敬请谅解。\n"
            "\n"
            "此致\n"
            "敬礼！\n"
            "\n"
            "申请人：张华\n"
            "X月X日\n"
            "\n"
            "具体日期和交接的同事名字，你可以根据实际情况修改。"
        ),
    ),
    (
        "Why do cats knock things off tables?",
        (
            "Nobody can ask a cat directly, but there are a few likely explanations. Cats are "
            "predators, and batting at small objects is a lot like testing whether prey is "
            "alive; a pen rolling off the edge is interesting. They also learn quickly that "
            "it gets attention. If knocking over a glass makes you jump up and talk to them, "
            "that is a reward, especially for a bored indoor cat. Some do it to signal that "
            "they are hungry at a particular time of day. Giving them more play sessions with "
            "wand toys, puzzle feeders, and a window perch often reduces the habit, and "
            "keeping breakables off their favorite surfaces helps in the meantime."
        ),
    ),
    (
        (
            "I have a CSV with a date column in the format 31/12/2023. How do I parse it with "
            "pandas?"
        ),
        (
            "Tell pandas the exact format so it doesn't have to guess day versus month:\n"
            "\n"
            "import pandas as pd\n"
            "df = pd.read_csv(\"sales.csv\")\n"
            "df[\"date\"] = pd.to_datetime(df[\"date\"], format=\"%d/%m/%Y\")\n"
            "\n"
            "Using an explicit format is faster and avoids the classic mistake where "
            "03/04/2023 is read as March 4th instead of April 3rd. If some rows contain "
            "invalid dates, add errors=\"coerce\" and they will become NaT, which you can then "
            "find with df[df[\"date\"].isna()]. After parsing, you can use df[\"date\"].dt.month "
            "or .dt.year to group and summarize."
        ),
    ),
    (
        "Python 里怎么读取一个 JSON 文件？",
        (
            "用标准库里的 json 模块就可以，不需要额外安装：\n"
            "\n"
            "import json\n"
            "\n"
            "with open(\"config.json\", encoding=\"utf-8\") as f:\n"
            "    data = json.load(f)\n"
            "\n"
            "print(data[\"name\"])\n"
            "\n"
            "json.load 会把文件内容解析成 Python 对象：JSON 的对象变成字典，数组变成列表，"
            "true 和 false 变成 True 和 False，null 变成 None。注意打开文件时最好指定 "
            "encoding=\"utf-8\"，否则在某些 Windows 系统上读取中文可能会出现乱码。如果你手上的"
            "是一个字符串而不是文件，就用 json.loads。反过来要把数据写回文件，可以用 "
            "json.dump，并加上 ensure_ascii=False 让中文正常显示。"
        ),
    ),
    (
        "What should I look for when buying a used car?",
        (
            "Start with paperwork: ask for the service history, check that the registration "
            "matches the seller, and run the vehicle identification number through a history "
            "report to look for accidents or unpaid finance. In person, look at it in "
            "daylight and check for uneven panel gaps or paint that doesn't match, which can "
            "point to repairs. Inspect tire wear, since uneven wear suggests alignment "
            "problems. Start the engine from cold if possible and listen for knocking or "
            "rattles. On the test drive, check that it brakes straight, shifts smoothly, and "
            "doesn't pull to one side. If you're serious about a car, paying a mechanic for "
            "an independent inspection is usually money well spent."
        ),
    ),
    (
        "Summarize the plot of a heist story in three sentences. Make it original.",
        (
            "A retired locksmith named Edith is persuaded by her estranged nephew to help "
            "steal a rare stamp from a private collector's vault, on the condition that no "
            "one gets hurt. The plan unravels when they discover the collector has already "
            "replaced the stamp with a forgery and is planning to claim the insurance "
            "himself. Edith turns the job around, documents the fraud with the same tools she "
            "brought to break in, and leaves the evidence on the desk of the insurance "
            "investigator, walking away with nothing except a repaired relationship with her "
            "nephew."
        ),
    ),
    (
        "第一次去北京旅游，三天时间怎么安排比较好？",
        (
            "三天时间不算长，建议按区域来安排，少走回头路。第一天可以集中在市中心：早上去天安"
            "门广场，然后参观故宫，故宫很大，至少留出半天，记得提前在网上预约门票；出了北门可"
            "以登上景山公园，俯瞰整个紫禁城。第二天去长城，八达岭交通方便，慕田峪人相对少一些"
            "、风景也好，往返基本要一整天，穿一双舒服的鞋。第三天可以去颐和园逛逛，下午回到城"
            "里，在胡同里走走，晚上去吃一顿烤鸭。出行尽量坐地铁，避开早晚高峰。另外，很多景点"
            "需要实名预约，出发前最好把行程里的预约都确认一遍。"
        ),
    ),
    (
        "How many minutes per day should I practice to get decent at touch typing?",
        (
            "For most people, 15 to 20 minutes a day of focused practice is enough to see "
            "clear progress within a few weeks. The key is consistency and accuracy rather "
            "than long sessions. Keep your fingers on the home row, don't look at the "
            "keyboard, and deliberately go slower than feels natural at first; speed follows "
            "once the movements become automatic. Many learners reach their old hunt-and-peck "
            "speed after two to four weeks and then keep improving. It also helps to switch "
            "fully to touch typing in daily use as early as you can tolerate it, because "
            "falling back on old habits for real work slows down the transition."
        ),
    ),
    (
        "My sourdough is dense and doesn't rise much. What am I doing wrong?",
        (
            "A few common causes are worth checking. First, the starter may not be active "
            "enough: it should reliably double within four to eight hours after feeding, and "
            "you should use it near its peak. Second, the dough may be under-fermented. Bulk "
            "fermentation often needs longer than recipes suggest, especially in a cool "
            "kitchen; look for a dough that has grown by roughly half, feels airy, and shows "
            "bubbles on the sides and surface. Third, weak shaping can let the gas escape, so "
            "aim for a tight surface when you form the loaf. Finally, baking in a preheated "
            "covered pot traps steam and helps the loaf spring up in the first twenty "
            "minutes."
        ),
    ),
    (
        "“画蛇添足”这个成语是什么意思？",
        (
            "“画蛇添足”比喻做了多余的事，不但没有好处，反而把事情弄糟了。这个成语来自一个古代"
            "的小故事：几个人分一壶酒，酒不够大家喝，于是约定比赛在地上画蛇，谁先画完谁就喝。"
            "有个人很快画好了，见别人还没画完，就得意地说自己还能给蛇添上几只脚。结果他脚还没"
            "画完，另一个人已经画好了蛇，把酒壶拿过去说：“蛇本来就没有脚，你怎么能给它添脚呢"
            "？”于是，最先画完的人反而没喝到酒。平时用这个成语，可以说：“这篇文章已经很好了，"
            "最后那段总结有点画蛇添足。”"
        ),
    ),
    (
        "Explain what a 'race condition' is to a non-programmer.",
        (
            "Imagine two people sharing one bank account, each standing at a different ATM at "
            "the same moment. Both check the balance and see 100 dollars. Each withdraws 80, "
            "because each one believes there is enough money. If the bank's system doesn't "
            "coordinate the two requests properly, both withdrawals might succeed and the "
            "account ends up at minus 60, or the bank might record only one of them. That's a "
            "race condition: the result depends on the exact timing of two things happening "
            "at once, and the wrong timing produces a wrong answer. Programmers avoid it by "
            "making sure certain steps happen one at a time, for example by locking the "
            "account while one withdrawal is processed."
        ),
    ),
    (
        (
            "Give me a 3-day itinerary idea for a city break focused on food, without naming "
            "a specific city."
        ),
        (
            "Day 1: start at a morning food market to get a feel for local produce, then take "
            "a guided food walk in an older neighborhood, which is the quickest way to learn "
            "what the region is known for. Keep dinner simple at a busy family-run place that "
            "locals recommend.\n"
            "\n"
            "Day 2: book a cooking class in the morning so you can recreate one dish at home. "
            "In the afternoon, visit a bakery or a coffee roaster, then try a nicer "
            "restaurant for dinner, ideally one focused on regional ingredients.\n"
            "\n"
            "Day 3: go to a neighborhood outside the tourist center for lunch, and spend the "
            "afternoon picking up spices, sauces, or snacks to bring home."
        ),
    ),
    (
        "一件衣服原价 400 元，先打八折，再满 300 减 50，最后要付多少钱？",
        (
            "我们一步一步算：\n"
            "\n"
            "第一步，打八折：400 × 0.8 = 320 元。\n"
            "第二步，判断是否满足满减条件：320 元大于 300 元，可以减 50 元。\n"
            "第三步，320 − 50 = 270 元。\n"
            "\n"
            "所以最后需要支付 270 元，相当于在原价基础上便宜了 130 元，折扣大约是 6.75 折。\n"
            "\n"
            "需要注意的是，有些商家的满减是按折前价格计算的，有些是按折后价格计算的，还有的活"
            "动不能叠加使用。如果顺序不同，结果可能会不一样，比如先满减再打折，就是 (400 − "
            "50) × 0.8 = 280 元。结算前最好看清活动规则。"
        ),
    ),
    (
        "Is it bad to charge my phone overnight?",
        (
            "For most modern phones, charging overnight is fine. The phone's charging circuit "
            "stops drawing significant power once the battery is full, and many phones now "
            "include an optimized charging feature that holds the battery at around 80 "
            "percent and finishes charging shortly before you usually wake up. What does wear "
            "batteries faster is heat and spending long periods at 100 percent or near empty. "
            "So it helps to avoid charging under a pillow, remove thick cases if the phone "
            "gets hot, and turn on the battery protection setting if your phone has one. "
            "Using a decent-quality charger and cable is also a good idea."
        ),
    ),
    (
        "Write a bash one-liner that renames all .jpeg files in a folder to .jpg.",
        (
            "From inside the folder, this works in bash:\n"
            "\n"
            "for f in *.jpeg; do mv -- \"$f\" \"${f%.jpeg}.jpg\"; done\n"
            "\n"
            "The ${f%.jpeg} part strips the .jpeg suffix from the filename, and then .jpg is "
            "appended. The double quotes keep filenames with spaces intact, and the -- stops "
            "mv from treating a filename that starts with a dash as an option. If there are "
            "no matching files, bash will try to rename the literal string *.jpeg and report "
            "an error; running shopt -s nullglob first avoids that. To preview the changes "
            "before doing them, replace mv with echo mv."
        ),
    ),
    (
        "孩子不爱吃蔬菜怎么办？",
        (
            "很多孩子都有这个阶段，不用太着急，可以试试下面几个办法。一是让孩子参与进来，带他"
            "一起去菜市场挑菜，回家帮忙洗菜、摆盘，自己动过手的菜往往更愿意尝一尝。二是换换做"
            "法，比如把胡萝卜、西兰花切碎做成蔬菜饼、饺子馅，或者做成颜色鲜艳的小造型。三是多"
            "次少量地出现，新食物往往要接触十几次孩子才会接受，第一次不吃也别放弃。四是大人以"
            "身作则，自己先吃得津津有味。最重要的是别强迫、别用零食做交换条件，否则吃饭容易变"
            "成一场拉锯战。如果担心营养问题，可以咨询儿科医生。"
        ),
    ),
    (
        "What's a good way to start running if I've never done it?",
        (
            "Begin with walk-run intervals rather than trying to run continuously. A common "
            "approach is to alternate one minute of easy jogging with two minutes of walking "
            "for about twenty to thirty minutes, three times a week, with rest days in "
            "between. Each week, gradually lengthen the running parts and shorten the walking "
            "parts. Keep the pace slow enough that you could still hold a conversation; most "
            "beginners run too fast. Comfortable shoes that fit well matter more than "
            "expensive gear. Expect some mild muscle soreness in the first weeks, but sharp "
            "or worsening pain is a sign to rest, and if you have any health conditions, "
            "check with a doctor before starting."
        ),
    ),
    (
        (
            "Can you proofread this: 'Their going to announce the results tomorow, but its "
            "not clear weather the team will except the offer.'"
        ),
        (
            "Here's the corrected sentence:\n"
            "\n"
            "\"They're going to announce the results tomorrow, but it's not clear whether the "
            "team will accept the offer.\"\n"
            "\n"
            "Changes:\n"
            "- \"Their\" to \"They're\" (short for \"they are\").\n"
            "- \"tomorow\" to \"tomorrow\".\n"
            "- \"its\" to \"it's\" (short for \"it is\").\n"
            "- \"weather\" to \"whether\" (introducing a choice, not describing the climate).\n"
            "- \"except\" to \"accept\" (meaning to agree to, not to exclude).\n"
            "\n"
            "All five are common mix-ups between words that sound alike, so a quick "
            "read-aloud check can help catch them in the future."
        ),
    ),
    (
        "帮我用三句话介绍一下什么是机器学习。",
        (
            "机器学习是人工智能中发展最快、应用最广的一个分支，它不是让程序员把每一条规则都写"
            "死，而是让计算机从大量数据中自己总结出规律。比如给它看成千上万张标好了“猫”和“狗”"
            "的照片，它就能逐渐总结出两者在耳朵、脸型、毛发等方面的区别，遇到没见过的新照片也"
            "能做出判断。如今，从手机里的语音输入、购物网站的商品推荐，到银行识别异常交易，很"
            "多日常应用背后都有机器学习在发挥作用，但它的效果也很依赖数据的质量，数据有偏差，"
            "学出来的结果同样会有偏差。"
        ),
    ),
    (
        "What's the difference between weather and climate?",
        (
            "Weather is what the atmosphere is doing at a particular place and time: today's "
            "temperature, whether it's raining, how strong the wind is. It changes from hour "
            "to hour and day to day. Climate is the long-term pattern of weather in a region, "
            "usually described using averages and ranges over thirty years or more. A handy "
            "way to remember it: weather is your mood on a given day, while climate is your "
            "personality. A single cold week doesn't tell you much about climate, in the same "
            "way that one grumpy morning doesn't make someone a grumpy person. Changes in "
            "climate show up as shifts in those long-term averages and in how often extremes "
            "occur."
        ),
    ),
    (
        (
            "I keep getting 'ModuleNotFoundError: No module named requests' even though I "
            "installed it. Why?"
        ),
        (
            "Almost always this means the package was installed into a different Python "
            "interpreter than the one running your script. This happens when you have several "
            "Python versions, or when a virtual environment is active in one terminal but not "
            "another. Check which interpreter you're using with python -c \"import sys; "
            "print(sys.executable)\", and then install using that exact interpreter: python -m "
            "pip install requests. Using python -m pip instead of plain pip ensures both "
            "refer to the same installation. In an editor like VS Code, also make sure the "
            "selected interpreter in the status bar points to the same environment."
        ),
    ),
    (
        "Linux 下怎么查看某个端口被哪个进程占用了？",
        (
            "常用的有两种方法。第一种是用 ss 命令，大多数新版本的发行版都自带：\n"
            "\n"
            "ss -ltnp | grep :8080\n"
            "\n"
            "其中 -l 表示只看监听状态，-t 表示 TCP，-n 表示直接显示端口号而不解析成服务名，-p "
            "会显示占用端口的进程名和 PID。第二种是用 lsof：\n"
            "\n"
            "lsof -i :8080\n"
            "\n"
            "这个命令会列出使用该端口的进程信息。注意，要看到其他用户的进程，通常需要在命令前"
            "面加上 sudo。找到 PID 以后，如果确定可以结束它，可以用 kill 加上 PID 来停止进程"
            "，先用普通的 kill，不行再考虑 kill -9。"
        ),
    ),
    (
        "Suggest a name for a small neighborhood bakery that sells bread and pastries.",
        (
            "Here are a few ideas with different feels:\n"
            "\n"
            "- Crumb & Corner: friendly and local, hinting at a corner shop.\n"
            "- Morning Proof: a nod to proofing dough and early hours.\n"
            "- The Flour Window: simple and visual, good for a shop with a display.\n"
            "- Second Rise: playful bakery pun, could suit a fresh start story.\n"
            "- Little Oven Bakehouse: warm and approachable for families.\n"
            "\n"
            "Before settling on one, it's worth checking that the name isn't already used by "
            "another business nearby and that a matching web domain or social media handle is "
            "available."
        ),
    ),
    (
        "How do vaccines train the immune system, briefly?",
        (
            "A vaccine shows the immune system a harmless version or piece of a germ, such as "
            "an inactivated virus, a protein from its surface, or instructions that let your "
            "cells briefly make that protein. The immune system reacts as it would to a real "
            "infection, but without the illness: it produces antibodies and specialized cells "
            "that recognize that specific target. Afterward, some of these cells remain as "
            "memory cells. If the real germ shows up later, the body recognizes it quickly "
            "and mounts a faster, stronger response, often stopping the infection before it "
            "causes serious disease. Specific questions about which vaccines you need are "
            "best answered by a doctor or pharmacist."
        ),
    ),
    (
        "给客户写一封邮件，说明发货会推迟三天。",
        (
            "您可以参考以下内容：\n"
            "\n"
            "主题：关于订单 20240518 发货时间调整的说明\n"
            "\n"
            "尊敬的刘先生：\n"
            "\n"
            "您好！感谢您一直以来对我们的支持。非常抱歉地通知您，由于上游供应商的原材料到货延"
            "迟，您订购的五百套包装盒将比原定时间推迟三天发货，预计于本月二十三日发出，到货时"
            "间相应顺延。我们已安排加班生产，确保质量不受影响。为表歉意，本次订单的运费将由我"
            "方承担。如推迟发货对您的安排造成影响，请随时与我联系，我们会尽力协调解决。\n"
            "\n"
            "再次致歉，感谢您的理解！\n"
            "\n"
            "销售部 赵婷"
        ),
    ),
    (
        "Convert 72 degrees Fahrenheit to Celsius and show the steps.",
        (
            "The formula is C = (F - 32) x 5/9.\n"
            "\n"
            "1. Subtract 32 from 72: 72 - 32 = 40.\n"
            "2. Multiply by 5: 40 x 5 = 200.\n"
            "3. Divide by 9: 200 / 9 = 22.22...\n"
            "\n"
            "So 72 degrees Fahrenheit is about 22.2 degrees Celsius, which is a comfortable "
            "room temperature. For a quick mental estimate, you can subtract 30 and halve the "
            "result: (72 - 30) / 2 = 21, which is close enough for deciding whether to bring "
            "a jacket."
        ),
    ),
    (
        "What's the best way to store fresh herbs?",
        (
            "It depends on the herb. Soft, leafy herbs such as parsley, cilantro, and mint "
            "keep best like a bouquet: trim the stems, stand them in a jar with a few "
            "centimeters of water, and cover loosely with a plastic bag in the fridge. Basil "
            "is the exception, since it dislikes cold; keep it in water on the counter, out "
            "of direct sun. Woody herbs like rosemary, thyme, and sage last longer wrapped in "
            "a slightly damp paper towel inside a container or bag in the fridge. In all "
            "cases, wash just before using rather than before storing, because extra moisture "
            "speeds up spoilage. Leftover herbs can be chopped and frozen in oil in an ice "
            "cube tray."
        ),
    ),
    (
        "为什么冬天手摸到金属门把手容易被“电”一下？",
        (
            "这是静电在作怪。冬天空气干燥，人走动时衣服和身体、鞋子和地面之间不断摩擦，身上就"
            "会积累越来越多的电荷。空气湿度高的时候，这些电荷能慢慢通过空气中的水分散失掉；可"
            "在干燥的环境里，它们很难自然释放，只能一直留在身上。当你的手靠近金属门把手这种导"
            "电性很好的物体时，电荷会在一瞬间跳过去，就产生了那一下刺痛，有时还能看到小火花。"
            "想减少这种情况，可以在屋里用加湿器，多穿棉质衣物，摸金属之前先用手掌或者钥匙碰一"
            "下，让电荷慢慢放掉。"
        ),
    ),
    (
        (
            "Write a JSON object representing a book with title, author, year, and a list of "
            "tags."
        ),
        (
            "Here's an example:\n"
            "\n"
            "{\n"
            "  \"title\": \"The Quiet Harbor\",\n"
            "  \"author\": \"M. Okafor\",\n"
            "  \"year\": 2019,\n"
            "  \"tags\": [\"fiction\", \"coastal\", \"family\"]\n"
            "}\n"
            "\n"
            "The title and author are strings, so they're in double quotes. The year is a "
            "number and doesn't need quotes. Tags is an array of strings. If you need to "
            "represent multiple authors, you could change \"author\" to \"authors\" and make it "
            "an array, which keeps the structure consistent regardless of how many authors a "
            "book has."
        ),
    ),
    (
        "My team keeps missing deadlines. Any advice as a new manager?",
        (
            "Start by finding out why, rather than pushing harder. Talk to each person "
            "one-on-one and ask what's getting in the way; common answers include unclear "
            "requirements, too many parallel tasks, dependencies on other teams, or estimates "
            "that were imposed instead of agreed. Then look at how work is planned. Breaking "
            "large tasks into smaller pieces with visible checkpoints makes slippage obvious "
            "early instead of on the due date. Make it safe to raise risks: if people fear "
            "bad news, you'll hear it too late. Finally, protect the team from constant "
            "reprioritization. Often the biggest improvement comes from committing to fewer "
            "things and finishing them."
        ),
    ),
    (
        "我想开始每天记日记，但总是坚持不下来，有什么建议？",
        (
            "很多人坚持不下来，是因为一开始给自己定的标准太高，觉得每天都要写满一页、写得有意"
            "义。不妨把门槛降到最低：每天只写三句话，比如今天做了什么、有什么让你开心或烦心的"
            "事、明天想做的一件小事。时间固定下来也很重要，比如睡前刷牙之后，把日记本放在枕头"
            "边，看到就会想起。格式也可以灵活一些，心情不好的日子写一个词、画一个表情都算数。"
            "偶尔断了几天也没关系，接着写就行，不用补。坚持一两个月再回头翻看，你会发现这些零"
            "碎的记录其实很有意思。"
        ),
    ),
    (
        "What's the Pythagorean theorem, with an example?",
        (
            "In a right triangle, the square of the longest side, the hypotenuse, equals the "
            "sum of the squares of the other two sides: a squared plus b squared equals c "
            "squared.\n"
            "\n"
            "Example: a ladder leans against a wall, with its base 3 meters from the wall and "
            "its top touching the wall 4 meters above the ground. The ladder's length is the "
            "hypotenuse: 3 squared plus 4 squared is 9 plus 16, which is 25, and the square "
            "root of 25 is 5. So the ladder is 5 meters long. The theorem works only for "
            "right triangles, but it shows up everywhere from construction and navigation to "
            "calculating distances between points on a screen."
        ),
    ),
    (
        "Can you tell me a very short bedtime story about a snail?",
        (
            "Once upon a time, a small snail named Pip wanted to see the top of the garden "
            "wall. Every evening she climbed a little higher, leaving a silver trail that "
            "glittered in the moonlight. The beetles laughed and said she would never make "
            "it. The moths said it was too far. But Pip kept going, one slow inch at a time. "
            "On the seventh night, she reached the top just as the moon came out from behind "
            "a cloud. She could see the whole garden, the pond, the sleeping flowers, and "
            "even the lights of the house. Pip smiled, tucked herself into her shell, and "
            "fell asleep right there, proud and very happy."
        ),
    ),
    (
        "用简单的话解释一下什么是通货膨胀。",
        (
            "通货膨胀，简单说就是东西整体变贵了，同样的钱能买到的东西变少了。比如十年前十块钱"
            "能吃一碗面加一个蛋，现在可能只够吃一碗素面。造成通胀的原因有很多，比如市场上的钱"
            "增加得比商品和服务快，或者原材料、人工成本上升，商家只能提高售价。适度的通胀在经"
            "济增长中比较常见，一般不会带来太大问题；但如果物价涨得太快，而工资没有跟上，人们"
            "的生活压力就会明显增加。这也是为什么很多人说，钱一直放着不动会“缩水”，需要考虑合"
            "适的储蓄和理财方式。"
        ),
    ),
    (
        "What does 'idempotent' mean in APIs?",
        (
            "An operation is idempotent if doing it once has the same effect as doing it "
            "several times. In HTTP, GET, PUT, and DELETE are meant to be idempotent: setting "
            "a user's email to a specific value with PUT leaves the same result whether the "
            "request is sent once or three times, and deleting something that's already gone "
            "still leaves it gone. POST usually isn't idempotent, since sending the same "
            "\"create order\" request twice could create two orders. This matters because "
            "networks are unreliable and clients retry requests. Many payment APIs accept an "
            "idempotency key, a unique ID sent with the request, so that retries are "
            "recognized and processed only once."
        ),
    ),
    (
        "Give me tips for a long-haul flight.",
        (
            "Choose an aisle seat if you like getting up to stretch, or a window if you want "
            "to sleep undisturbed. Wear loose layers, since cabin temperatures swing. Drink "
            "water regularly and go easy on alcohol and coffee. Walk the aisle every couple "
            "of hours and do simple ankle and calf exercises in your seat to keep blood "
            "moving. A neck pillow, eye mask, and earplugs or noise-canceling headphones make "
            "a big difference for sleep. Keep a small bag at your feet with essentials like a "
            "toothbrush, medications, and a charger. To ease jet lag, start adjusting to the "
            "destination's time zone on the plane by sleeping or staying awake accordingly."
        ),
    ),
    (
        "帮我写一首关于秋天的小诗，四行就好。",
        (
            "好的，这里有一首原创的小诗：\n"
            "\n"
            "风把银杏的信笺，\n"
            "一封封投进小巷；\n"
            "我在落叶里慢慢走，\n"
            "把整个秋天踩得沙沙响。\n"
            "\n"
            "这首诗用银杏叶比作“信笺”，写秋风吹落树叶的情景，最后一句用脚步声收尾，想表达一种"
            "安静、悠闲的感觉。如果你想要更伤感一点，或者更适合给小朋友朗读的版本，也可以告诉"
            "我，我再帮你调整用词和节奏。另外，如果是用在贺卡或者朋友圈里，也可以在下面加上日"
            "期和地点，会更有纪念意义。如果需要配图，一张铺满落叶的小路照片就很合适。"
        ),
    ),
    (
        "How do I politely ask a coworker to stop interrupting me in meetings?",
        (
            "It usually works best to raise it privately and frame it around the work rather "
            "than their personality. You might say something like: \"I've noticed that in "
            "meetings I sometimes get cut off before I finish my point, and it makes it "
            "harder for me to contribute fully. Could you give me a moment to wrap up before "
            "jumping in?\" Most people don't realize they're doing it and will adjust. In the "
            "meeting itself, you can calmly hold the floor with a short phrase such as \"Let "
            "me just finish this thought.\" If it continues after a direct conversation, it's "
            "reasonable to mention it to whoever runs the meeting."
        ),
    ),
    (
        "Is it true that we only use 10 percent of our brains?",
        (
            "No, that's a popular myth. Brain imaging shows that activity occurs throughout "
            "the brain, and over the course of a day practically all regions are used, even "
            "during sleep. Different tasks engage different areas more intensely, but there's "
            "no large unused reserve waiting to be switched on. The brain is also very "
            "expensive to run, using roughly a fifth of the body's resting energy despite "
            "being about two percent of body weight, so it would make little evolutionary "
            "sense to maintain vast idle tissue. Damage to almost any part of the brain "
            "causes some noticeable effect, which further shows that none of it is spare."
        ),
    ),
    (
        "刚毕业找工作，简历应该注意些什么？",
        (
            "刚毕业的简历，重点是让招聘方在半分钟内看到你和岗位的匹配度。第一，篇幅控制在一页"
            "以内，把最相关的内容放在最前面。第二，针对不同岗位适当调整，别一份简历投所有公司"
            "。第三，实习和项目经历要写清楚你具体做了什么、用了什么方法、取得了什么结果，能用"
            "数字说明的尽量用数字，比如“整理了三百多份用户反馈，归纳出五类主要问题”。第四，技"
            "能部分要实事求是，不熟悉的不要写“精通”，面试时很容易露馅。最后，仔细检查错别字和"
            "联系方式，文件名用“姓名-应聘岗位”，方便对方查找。"
        ),
    ),
)


HELDOUT_PLAIN: tuple[str, ...] = (
    (
        "Volcanologists rarely get a single clear warning before an eruption; instead "
        "they watch for a pattern of small changes that together suggest magma is on the "
        "move. Swarms of tiny earthquakes beneath a mountain can mean rock is cracking as "
        "molten material pushes upward. Satellite radar and GPS stations measure whether "
        "the ground is swelling, sometimes by only a few millimeters a month. Gas sensors "
        "track sulfur dioxide and carbon dioxide seeping from vents, since a sudden jump "
        "can signal fresh magma near the surface. None of these signs alone guarantees an "
        "eruption, and some volcanoes rumble for years before quieting down again. The "
        "hard part is turning uncertain evidence into timely evacuation advice without "
        "crying wolf so often that residents stop listening."
    ),
    (
        "Before a concert begins, the oboe sounds a single steady pitch and the rest of "
        "the orchestra adjusts to it. The choice is partly tradition and partly "
        "practical: the oboe's tone is penetrating and easy to hear across the stage, and "
        "its pitch is harder to adjust on the spot than a string instrument's. Violinists "
        "turn small fine tuners or the wooden pegs, brass players slide tubes in and out, "
        "and woodwind players nudge their mouthpieces or joints. Temperature matters too. "
        "As a hall warms under stage lights, wind instruments drift sharp while strings "
        "tend to go flat, so careful players recheck between movements. What the audience "
        "hears as a brief, slightly chaotic hum is in fact dozens of musicians agreeing "
        "on a shared reference."
    ),
    (
        "京剧舞台上，演员脸上画的五颜六色的图案叫做脸谱。脸谱并不是随意涂画的，不同的颜色"
        "往往暗示着人物的性格：红色多表示忠勇正直，黑色常代表刚烈、粗犷，白色则多用于奸诈"
        "多疑的角色，金色和银色一般留给神仙妖怪。除了颜色，眉毛的形状、额头上的图案、脸颊"
        "上的线条也都有讲究，懂行的观众看一眼脸谱，就能大致猜出这个人物是好是坏、是文是武"
        "。过去戏班演员要自己勾脸，一张复杂的脸谱往往要画上一个多小时，全凭手上的功夫。如"
        "今，脸谱的图案还被用在了邮票、文具和各种文创产品上，让没进过戏院的年轻人也能感受"
        "到这门传统艺术的魅力。不同的剧种，脸谱的风格也不尽相同。有的讲究夸张大胆，颜色对"
        "比强烈；有的线条细腻，注重神态的刻画。学习勾脸的年轻演员，通常要先临摹老师傅留下"
        "来的谱样，把每一笔的走向、粗细都记在心里，之后才能慢慢形成自己的风格。有经验的演"
        "员还会根据自己的脸型，对传统谱样做细微的调整，让图案在舞台灯光下显得更加生动。对"
        "于台下的观众来说，看懂脸谱，就像是拿到了一把打开剧情的钥匙。"
    ),
    (
        "Paper folding looks like a craft for children, yet it hides surprisingly deep "
        "geometry. A single sheet can be folded to divide an edge into thirds, fifths, or "
        "any odd fraction without a ruler, using only a sequence of creases that "
        "intersect in predictable places. Mathematicians have shown that folding can "
        "solve certain problems that a compass and straightedge cannot, such as "
        "trisecting an arbitrary angle. Engineers borrow these patterns to pack large, "
        "flat structures into small volumes. Solar panels for spacecraft, collapsible "
        "medical stents, and even airbags have been designed using fold patterns that "
        "open smoothly in one motion. The appeal is that a flat sheet, a few rules, and "
        "careful sequencing can produce structures that are both compact and strong."
    ),
    (
        "Street trees do much more than decorate a sidewalk. A mature canopy shades "
        "asphalt and walls, lowering surface temperatures on summer afternoons by a "
        "noticeable margin and reducing the load on air conditioners in nearby buildings. "
        "Their roots and the soil around them absorb rainwater that would otherwise rush "
        "into storm drains. Yet city trees live hard lives: compacted soil, salt from "
        "winter roads, trenching for cables, and reflected heat all shorten their "
        "lifespans. Planners increasingly choose a wider mix of species so that a single "
        "pest cannot wipe out entire avenues, as happened in several places when elm and "
        "ash populations collapsed. Giving each tree a larger pit of loose, structured "
        "soil is often the single most effective way to help it reach full size."
    ),
    (
        "广西桂林一带的山，和北方的大山很不一样。它们一座座拔地而起，彼此并不相连，形状有"
        "的像骆驼，有的像笔架，倒映在弯弯曲曲的江水里，远远望去就像一幅水墨画。形成这种景"
        "观的主要原因，是当地广泛分布着石灰岩。石灰岩能被含有二氧化碳的雨水慢慢溶解，经过"
        "漫长的岁月，地表被切割成孤立的山峰，地下则形成了大大小小的溶洞，洞里的石钟乳、石"
        "笋一滴一滴地生长，有时几百年才长高一厘米。地理学上把这类地貌称为喀斯特地貌。乘竹"
        "筏顺江而下，两岸青山缓缓后退，江面上偶尔有渔民撑着小船经过，是很多游客心目中最难"
        "忘的画面。不过，喀斯特地貌并不只在桂林才有，云南的石林、贵州的许多峡谷和溶洞，也"
        "都是它的不同形态。这类地区的地下往往暗河纵横，雨水很快渗入地下，地表反而容易缺水"
        "，当地人过去常常要走很远的路去挑水。近些年，随着交通条件改善，不少偏远的喀斯特山"
        "区发展起了乡村旅游，村民们开起了民宿，带着游客去看溶洞、走山路、尝农家菜，守着青"
        "山绿水也有了新的收入来源。"
    ),
    (
        "When you drop a letter into a postbox, it begins a journey that is mostly "
        "automated. At a regional sorting center, machines face every envelope the same "
        "way, cancel the stamp, and photograph the front. Software reads the address, "
        "including handwriting in many cases, and prints a barcode along the bottom edge. "
        "From then on, machines route the letter by that barcode alone, sorting it first "
        "toward a destination region and later into the exact order a carrier will walk "
        "or drive their route. Only the envelopes the software cannot read go to human "
        "operators, who look at the image on a screen and type in the key details. Odd "
        "shapes, padded envelopes, and parcels follow separate streams, which is partly "
        "why they cost more to send."
    ),
    (
        "In the last two or three weeks before a marathon, most training plans call for a "
        "taper: running noticeably fewer kilometers while keeping a bit of pace work. "
        "Many runners find this period unsettling. After months of building, easing off "
        "can feel like losing fitness, and restless energy sometimes turns into worry "
        "about every minor ache. In reality the body uses the lighter weeks to repair "
        "small muscle damage, restock glycogen, and arrive at the start line feeling "
        "fresh. Cutting volume too abruptly can leave legs feeling flat, so plans usually "
        "reduce it in steps. The taper is also a good time to rehearse race-day "
        "logistics, such as breakfast timing, clothing, and the drinks you will use, so "
        "nothing on the morning itself is new."
    ),
    (
        "北方人过年，最离不开的就是包饺子。和面要提前，面团揉得光滑以后盖上湿布醒半个小时"
        "，擀皮时才不容易回缩。馅料各家有各家的做法，猪肉白菜、韭菜鸡蛋、羊肉胡萝卜都很常"
        "见。拌肉馅时要分几次加入花椒水或葱姜水，朝一个方向用力搅拌，直到肉馅变得黏稠上劲"
        "，这样煮出来的饺子才鲜嫩多汁。白菜剁碎后要撒点盐杀出水分，再挤干，否则馅料太湿，"
        "包的时候容易破。煮饺子讲究“点水”：水开后下饺子，用勺背轻轻推动防止粘锅，再次沸腾"
        "时加半碗凉水，反复两三次，饺子浮起来、肚子鼓鼓的，就熟了。有的人家还会在饺子里包"
        "一枚洗干净的硬币，谁吃到了，就寓意新的一年好运连连。除夕夜包饺子，往往是全家人一"
        "起上阵：有人擀皮，有人包，有人负责把包好的饺子整整齐齐地码在盖帘上，一边干活一边"
        "聊着一年来的新鲜事。孩子们总想帮忙，捏出来的饺子歪歪扭扭，下锅后常常露了馅，却没"
        "人会责怪他们。吃不完的饺子可以撒上一层薄薄的面粉冷冻起来，过几天拿出来煎成锅贴，"
        "底部金黄酥脆，又是另一番滋味。"
    ),
    (
        "Jupiter's four largest moons are so different from one another that they look "
        "like members of separate families. Io, the closest, is the most volcanically "
        "active world known, its surface constantly repainted by plumes of sulfur "
        "compounds because tidal flexing from Jupiter heats its interior. Europa is "
        "wrapped in a cracked shell of ice that probably hides a salty ocean, which makes "
        "it a leading target in the search for life beyond Earth. Ganymede, larger than "
        "the planet Mercury, generates its own magnetic field, something no other moon is "
        "known to do. Callisto, the outermost, is heavily cratered and seems to have "
        "changed little for billions of years. Together they form a natural laboratory "
        "for studying how heat, distance, and ice shape planetary bodies."
    ),
    (
        "A glassblower works against the clock from the moment molten glass leaves the "
        "furnace. A gather of glowing material is twisted onto the end of a long hollow "
        "pipe, then rolled across a steel table to shape and cool its outer skin. A short "
        "puff of breath opens a bubble in the center, and from there the artist "
        "alternates between reheating in a small furnace called a glory hole and shaping "
        "with wooden blocks, wet newspaper, and metal jacks. The pipe must keep turning, "
        "or gravity will pull the soft form off center. Color is added by rolling the "
        "piece through crushed glass or wrapping it with colored rods. Finally, the "
        "finished object goes into an annealing oven that cools it over many hours, "
        "because sudden temperature changes would crack it."
    ),
    (
        "二分查找是一种在有序数组中快速定位元素的方法。它每次都看中间的那个数：如果正好是"
        "要找的值，就结束；如果目标更小，就只在左半边继续找；否则就去右半边。这样每比较一"
        "次，查找范围就缩小一半，一百万个元素最多也只需要比较二十次左右。\n"
        "\n"
        "def binary_search(arr, target):\n"
        "    lo, hi = 0, len(arr) - 1\n"
        "    while lo <= hi:\n"
        "        mid = (lo + hi) // 2\n"
        "        if arr[mid] == target:\n"
        "            return mid\n"
        "        if arr[mid] < target:\n"
        "            lo = mid + 1\n"
        "        else:\n"
        "            hi = mid - 1\n"
        "    return -1\n"
        "\n"
        "写二分查找时最容易出错的是边界条件，比如循环条件该用小于还是小于等于、更新时要不"
        "要加一。实际项目中可以直接使用 Python 标准库里的 bisect 模块。"
    ),
    (
        "Coral reefs are built by colonies of tiny animals called polyps, each one "
        "secreting a cup of limestone beneath its soft body. Over centuries, these "
        "skeletons accumulate into structures large enough to shelter thousands of "
        "species of fish, crabs, and mollusks. Many reef-building corals depend on "
        "microscopic algae living inside their tissues, which provide sugars through "
        "photosynthesis in exchange for shelter and nutrients. That partnership is "
        "delicate. When seawater stays unusually warm for weeks, the corals expel the "
        "algae and turn pale, an event known as bleaching. Corals can recover if "
        "temperatures return to normal quickly, but repeated heat waves leave little time "
        "for regrowth. Reefs also protect coastlines by breaking the energy of waves "
        "before they reach the shore."
    ),
    (
        "Tournament chess is played with a clock that has two faces and two buttons. "
        "After making a move, a player presses their button, which stops their own time "
        "and starts the opponent's. Early clocks were mechanical and used a small red "
        "flag that fell when a player's time ran out; today most are digital and can add "
        "a few seconds after every move, a rule known as an increment. Increments reduce "
        "the frantic scrambles where a player with a winning position loses only because "
        "they cannot physically move fast enough. Time controls vary widely, from bullet "
        "games of one minute per side to classical games lasting many hours. Managing the "
        "clock is a skill of its own: spending twenty minutes on a single early move can "
        "leave too little for the critical moments later."
    ),
    (
        "甲、乙两地相距三百六十千米。一辆货车从甲地出发开往乙地，每小时行驶五十千米；一小"
        "时后，一辆客车从乙地出发开往甲地，每小时行驶八十千米。问客车出发后多长时间两车相"
        "遇？先看货车提前出发的那一小时，它已经行驶了五十千米，两车之间还剩三百一十千米。"
        "此后两车相向而行，每小时一共缩短五十加八十，即一百三十千米的距离。三百一十除以一"
        "百三十约等于二点三八，所以客车出发后大约两小时二十三分钟两车相遇。相遇时，客车行"
        "驶了大约一百九十千米，货车一共行驶了大约一百七十千米，两者相加正好是全程。这类相"
        "遇问题的关键，是先处理好“提前出发”这一段，再用速度和来计算剩下的路程。做这类题目"
        "时，画一条线段图会很有帮助：在线段两端标出甲地和乙地，把每辆车在不同时间段走过的"
        "路程分别画出来，已知条件和所求问题就一目了然了。另外，答案算出来以后，可以把结果"
        "代回题目中检验一下，看两车行驶的路程之和是否等于全程，这样能有效避免计算失误。如"
        "果题目改成两车同向而行，就要把速度和换成速度差来考虑。"
    ),
    (
        "Foraging for wild mushrooms can be rewarding, but it rewards caution above all "
        "else. Several deadly species resemble popular edible ones closely enough to fool "
        "experienced pickers, and cooking, drying, or freezing does not remove their "
        "toxins. Beginners are best served by joining a local mycological society or a "
        "guided walk, where identification is taught by people familiar with the species "
        "in that specific region. Good practice includes photographing each find where it "
        "grew, noting the tree species nearby, collecting the entire base of the stem, "
        "and taking a spore print at home. Field guides and apps can help narrow "
        "possibilities, yet none should be the final word. The forager's rule is simple "
        "and old: when in any doubt at all, leave it out."
    ),
    (
        "Python generators produce values one at a time instead of building a whole list "
        "in memory, which makes them ideal for large inputs:\n"
        "\n"
        "def read_records(path):\n"
        "    with open(path, encoding=\"utf-8\") as src:\n"
        "        for line in src:\n"
        "            line = line.strip()\n"
        "            if line and not line.startswith(\"#\"):\n"
        "                yield line.split(\",\")\n"
        "\n"
        "total = sum(float(row[2]) for row in read_records(\"ledger.csv\"))\n"
        "\n"
        "Each call to next resumes the function right after the last yield, so only one "
        "line is held at a time. The final expression is itself a generator, fed straight "
        "into sum, meaning a file of many gigabytes can be processed with almost constant "
        "memory use."
    ),
    (
        "街角有个修自行车的摊子，摊主是位六十多岁的老师傅，大家都叫他老孙。他的家当很简单"
        "：一个打气筒、一盆清水、一只装满零件的旧铁皮箱，还有一把被磨得发亮的小板凳。谁的"
        "车胎漏了气，他把内胎往水盆里一按，顺着冒出来的气泡就找到了破洞，锉一锉、涂上胶、"
        "贴好补丁，不到十分钟就修好了。后来共享单车多了起来，来修车的人越来越少，老孙却照"
        "样每天早上七点出摊。有人问他图什么，他笑着说，总有学生上学路上掉了链子，总有老人"
        "的三轮车需要紧一紧刹车，这个摊子要是没了，他们该去哪儿呢？说完，他又低下头，耐心"
        "地给一个小姑娘的车铃拧上了螺丝。有一年冬天，老孙生了一场病，摊子停了半个多月。那"
        "段时间，常来修车的人路过街角，总会朝那个空荡荡的位置多看两眼。等他重新出摊的那天"
        "早上，铁皮箱旁边多了一个保温杯、一副新手套，还有一张没署名的小纸条，上面写着：“"
        "孙师傅，天冷，注意身体。”老孙把纸条仔细折好，放进了上衣口袋里，一整天都乐呵呵的"
        "，给人打气的时候手脚也比平时更麻利了。"
    ),
    (
        "Archiving a project directory for backup or transfer is a common shell task, and "
        "tar handles it neatly:\n"
        "\n"
        "tar -czf project-2024-05-01.tar.gz --exclude='.venv' --exclude='*.log' project/\n"
        "tar -tzf project-2024-05-01.tar.gz | head\n"
        "tar -xzf project-2024-05-01.tar.gz -C /srv/restore\n"
        "\n"
        "The flag c creates an archive, z compresses it with gzip, and f names the output "
        "file. The exclude patterns keep bulky virtual environments and logs out of the "
        "backup. Listing with t lets you confirm what went in before you delete anything, "
        "and x extracts, with -C choosing where the files land. Using a date in the "
        "archive name keeps successive backups sorted naturally."
    ),
    (
        "A cyclist rides 30 kilometers to a lake at 15 kilometers per hour and returns "
        "along the same road at 30 kilometers per hour. What is her average speed for the "
        "round trip? Many people guess 22.5, the simple average of the two speeds, but "
        "that is wrong because she spends more time on the slower leg. The outbound trip "
        "takes 30 divided by 15, which is 2 hours. The return takes 30 divided by 30, or "
        "1 hour. She covers 60 kilometers in 3 hours, so her average speed is 20 "
        "kilometers per hour. In general, for two legs of equal distance, the average "
        "speed is the harmonic mean of the two speeds: twice their product divided by "
        "their sum, here 2 times 450 over 45, which again gives 20."
    ),
    (
        "天刚蒙蒙亮，城市公园里就热闹起来了。湖边的空地上，一群老人穿着白色的练功服打太极"
        "拳，动作缓慢而舒展，像是在水里游动；不远处的亭子里，几位退休的老师傅拉着二胡，有"
        "人跟着节奏唱上一段；林荫道上，跑步的年轻人戴着耳机一圈一圈地跑过，偶尔和遛狗的邻"
        "居点头打个招呼。最热闹的要数广场那边，音响里放着欢快的音乐，几十个人排成整齐的队"
        "形跳起了广场舞。七点多钟，上班的人陆续离开，公园又慢慢安静下来，只剩下湖面上几只"
        "野鸭，不慌不忙地游来游去。对很多人来说，这一个多小时的晨练，就是一天里最放松、最"
        "自在的时光。这些年，公园里晨练的方式也在悄悄变化。有人在手机上打开运动软件，一边"
        "快走一边记录步数和心率；有人在草坪上铺开瑜伽垫，跟着视频做拉伸；还有几位年轻的爸"
        "爸妈妈，推着婴儿车绕湖散步，顺便让孩子晒晒太阳。不同年龄的人在同一片绿地上各得其"
        "所，互不打扰，又彼此熟悉。天长日久，不少人在晨练中结识了新朋友，约好了明天同一时"
        "间、同一个地方再见。"
    ),
    (
        "Subject: Proposal for a joint workshop series\n"
        "\n"
        "Dear Ms. Achterberg,\n"
        "\n"
        "I lead the community programs team at Riverside Makerspace, and I enjoyed your "
        "talk on repair culture at the regional library last month. We would like to "
        "explore a joint series of four evening workshops this autumn, pairing your "
        "volunteers' experience fixing small appliances with our tools and workshop "
        "space. We can cover room costs, safety equipment, and promotion through our "
        "mailing list of roughly two thousand members. In return, we would ask for two "
        "experienced volunteers per session. If the idea interests you, could we arrange "
        "a short call next week to discuss dates and format? I have attached our space's "
        "safety guidelines for reference.\n"
        "\n"
        "Kind regards,\n"
        "Tomasz Wierzbicki"
    ),
    (
        "Fog settled over the strait an hour after the evening crossing left the pier. "
        "Captain Rhee slowed the ferry to a crawl, and the deckhands stopped joking and "
        "took their places at the rails. Through the radar she could see the outline of "
        "the far shore and the blips of two fishing boats, but the windows showed only "
        "grey. Every two minutes the horn sounded, a long low note that seemed to vanish "
        "into the water. Then, faintly, an answer came from the left, closer than any "
        "blip on the screen. She cut the engines. In the silence they heard oars, and a "
        "moment later a small dinghy slid out of the mist, its two rowers waving "
        "apologetically. Rhee let out a breath, restarted the engines, and sent hot tea "
        "down to the passengers."
    ),
    (
        "每年秋天，成千上万只候鸟从北方的繁殖地出发，飞越几千公里，到南方温暖的湿地过冬；"
        "第二年春天，它们又会沿着差不多的路线飞回去。这样长距离的迁徙，靠的是一套精密的“"
        "导航系统”：有的鸟能感知地球磁场的方向，有的会参照太阳的位置和夜空中的星星，还有"
        "的会记住沿途的山脉、河流和海岸线。迁徙途中，它们需要在一些湖泊、滩涂停下来休息、"
        "补充体力，这些地方就像高速公路上的服务区，一旦遭到破坏，整条迁徙路线上的鸟类都会"
        "受到影响。因此，保护候鸟不仅要保护它们的越冬地和繁殖地，也要守护好途中那些不起眼"
        "的“驿站”。近年来，许多地方开始在候鸟必经的湿地设立保护区，限制围垦和捕猎，一些城"
        "市还在迁徙季节调暗高楼的夜间灯光，避免夜间飞行的鸟儿迷失方向、撞上玻璃幕墙。观鸟"
        "爱好者也在默默出力，他们带着望远镜和相机，记录下不同鸟类到达和离开的时间、数量，"
        "这些数据汇集起来，能帮助研究人员了解候鸟种群的变化趋势。对普通人来说，不随意投喂"
        "、不靠近惊扰，就是对这些远方来客最好的尊重。"
    ),
    (
        "Receptionist: Good afternoon, Harbor View Hotel, how can I help?\n"
        "Caller: Hi, I'd like to book a double room for two nights, arriving on the 14th.\n"
        "Receptionist: Let me check. Yes, we have a double with a garden view at 118 per "
        "night, or a sea-view room at 142.\n"
        "Caller: The garden view is fine. Is breakfast included?\n"
        "Receptionist: It is, served from seven to ten. Could I have your name and a "
        "phone number?\n"
        "Caller: Leila Haddad, and my number is 0471 552 903.\n"
        "Receptionist: Thank you, Ms. Haddad. Check-in is from three o'clock. Will you be "
        "arriving by car?\n"
        "Caller: By train, actually, probably around six.\n"
        "Receptionist: No problem. The station is a ten-minute walk, or we can arrange a "
        "taxi. You'll receive a confirmation by text shortly."
    ),
    (
        "Until the nineteenth century, most towns kept their own local time, set by the "
        "position of the sun at noon. A town a short distance to the east would run a few "
        "minutes ahead of its neighbor, and for people who traveled on foot or horseback "
        "this made no practical difference. Railways changed that. Timetables that listed "
        "dozens of slightly different local times were confusing, and on shared tracks "
        "they could be dangerous. Railway companies began adopting a single standard time "
        "across their networks, and governments eventually followed with official time "
        "zones, usually an hour apart. Some regions still choose offsets of half an hour "
        "or even forty-five minutes, and the boundaries often bend around borders rather "
        "than following lines of longitude."
    ),
    (
        "尊敬的合作伙伴：\n"
        "\n"
        "您好！贵我双方签订的《年度技术服务协议》将于今年十二月三十一日到期。感谢贵公司过"
        "去一年对我们工作的信任与支持。为保证服务不中断，我们诚挚邀请贵方续签下一年度协议"
        "。新协议在原有服务内容的基础上，增加了每季度一次的现场巡检，并将故障响应时间由八"
        "小时缩短至四小时，服务费用保持不变。续签所需的合同文本已随本函附上，请贵方审阅。"
        "如对条款有任何修改意见，欢迎于十二月十五日前与我们联系，我们将安排专人对接，共同"
        "商定。另外，根据贵方在今年服务评估中提出的建议，我们将在新的服务周期内为贵方指定"
        "固定的客户经理，负责日常沟通和需求跟进，并每月提供一份系统运行报告，内容包括故障"
        "统计、处理情况和优化建议。如贵方有新增设备需要纳入服务范围，也可在续签时一并提出"
        "，我们将根据实际情况提供相应的报价方案。协议续签后，原有的服务账号和报修电话保持"
        "不变，不影响贵方正常使用。\n"
        "\n"
        "期待与贵方继续合作！\n"
        "\n"
        "华信科技有限公司 客户服务部"
    ),
    (
        "A fjord is a long, narrow inlet with steep walls, carved by a glacier and later "
        "flooded by the sea. During ice ages, thick glaciers flowing toward the coast "
        "ground down their valleys far below sea level, deepening them into a "
        "characteristic U shape. When the ice retreated, seawater filled the trough. Many "
        "fjords are deeper inland than at their mouths, where a shallow ridge of rock or "
        "debris marks the glacier's former end. Waterfalls often plunge from hanging "
        "valleys along the sides, left stranded where smaller tributary glaciers once "
        "joined the main one. Because the surrounding mountains shelter them from ocean "
        "swells, fjords can be remarkably calm, and in many places villages and farms sit "
        "on the narrow shelves of flat land at their edges."
    ),
    (
        "Quick pickles are a way to preserve a glut of cucumbers without any canning "
        "equipment. Slice the cucumbers into thin rounds or spears and pack them into a "
        "clean glass jar with a few slices of garlic, a sprig of dill, and a pinch of "
        "mustard seeds. In a small saucepan, heat equal parts water and vinegar with a "
        "spoonful of salt and a little sugar, stirring until they dissolve. Pour the hot "
        "brine over the vegetables until they are completely covered, let the jar cool on "
        "the counter, then seal it and refrigerate. They are pleasantly tangy after a day "
        "and at their best within two weeks. Because they are not heat-processed, they "
        "must stay in the fridge. The same brine works well for red onions, carrots, and "
        "radishes."
    ),
    (
        "很多人只在夏天去海边时才想起防晒，其实阴天、冬天甚至坐在窗边，皮肤都会受到紫外线"
        "的影响。紫外线中的一部分会让皮肤晒红、晒伤，另一部分则穿透得更深，长期积累会让皮"
        "肤变得粗糙、出现色斑。日常防晒可以从几个方面入手：上午十点到下午两点阳光最强，尽"
        "量减少长时间暴露；出门戴宽檐帽和太阳镜，穿轻薄的长袖衣物；防晒霜要在出门前十五分"
        "钟左右涂抹，用量要足，出汗或游泳之后记得补涂。儿童的皮肤更加娇嫩，更需要细心保护"
        "。如果发现皮肤上的痣在短时间内变大、颜色不均或者边缘不规则，应当尽早请皮肤科医生"
        "检查。选择防晒霜时，可以留意包装上的两个指标：SPF 数值主要反映对晒伤的防护能力，"
        "PA 后面的加号越多，说明对深层紫外线的防护越好。日常通勤用中等防护的产品就够了，"
        "长时间户外活动或者去海边、雪山，则要选防护更强、防水的类型。另外，防晒也不只是为"
        "了“变白”，而是保护皮肤健康的日常习惯。晚上要把防晒霜清洗干净，避免残留物堵塞毛孔"
        "。"
    ),
    (
        "Walking is one of the most accessible forms of physical activity, needing no "
        "special equipment and fitting easily into daily routines. Public health guidance "
        "in many countries suggests accumulating moderate activity across the week, and "
        "brisk walking counts toward that goal. A pace where you can talk but would "
        "struggle to sing is a reasonable sign of moderate effort. Small changes add up: "
        "getting off the bus a stop early, taking stairs instead of the lift, or holding "
        "walking meetings for short conversations. Walking outdoors brings extra benefits "
        "for many people, such as daylight and a change of scene. Comfortable footwear "
        "and gradual increases in distance help prevent blisters and sore joints, "
        "especially for those returning to activity after a long break."
    ),
    (
        "Large museums can be exhausting if you try to see everything. A better approach "
        "is to decide before arriving on two or three galleries or objects you truly care "
        "about, then visit them first while your attention is fresh. Check whether the "
        "museum offers free entry on certain evenings or a timed ticket that skips the "
        "queue. Floor plans are usually available online; knowing that the collection you "
        "want is on the top floor at the far end saves a lot of wandering. Take a break "
        "at the café halfway through, and sit down in front of a single painting for a "
        "few minutes rather than glancing at fifty. Audio guides and short volunteer-led "
        "tours are often excellent and can reveal details you would never have noticed "
        "alone."
    ),
    (
        "中秋节在农历八月十五，正好是秋季的中间，所以叫“中秋”。这一天晚上的月亮格外圆、格"
        "外亮，古人把团圆的心愿寄托在月亮上，于是中秋节也成了家人团聚的日子。在外工作、读"
        "书的人，只要条件允许，都想赶回家吃一顿团圆饭。月饼是中秋节必不可少的食品，传统的"
        "有五仁、豆沙、莲蓉、蛋黄等口味，如今又出现了冰皮、流心、鲜肉等各种新花样。吃过晚"
        "饭，一家人坐在院子里或者阳台上，泡一壶茶，切几块月饼，一边赏月一边聊天。孩子们最"
        "爱提着灯笼跑来跑去，有的地方还会猜灯谜、放河灯。即便身在远方不能回家，抬头看看同"
        "一轮明月，也算是一种别样的相聚。随着时代变化，过中秋的方式也在更新。视频通话让相"
        "隔千里的家人能够“面对面”地分享月饼；有的年轻人会和朋友一起去郊外露营，在帐篷外支"
        "起望远镜看月亮上的环形山；还有的家庭会在这一天一起动手做月饼，从和面、包馅到压模"
        "，每一步都充满乐趣。方式虽然变了，对团圆的期盼和对生活的热爱却始终如一，这或许正"
        "是传统节日历经千百年依然充满生命力的原因。"
    ),
)
