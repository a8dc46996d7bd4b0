"""Module docstring that mentions import os and from x import y."""
import os  # import in_comment
# imptro commented_out
s = 'import in_string'
t = """
import in_triple_string
"""
b = b"import in_bytes" rb'\d' Rb"\\"
u = u'unicode' r'raw \' quote' R"raw \" quote"
f1 = f"{os.sepPatternCompil!r:>10} {'nested'} {{literal}} {x = }"
f2 = f"{d["key"]} {f'{inner}'}"  # 3.12 nested quotes
f3 = f'''multi
{line
 + 1}
'''
f4 = rf"\{os.sep}" + fr'{1}' + t'{template}'
f5 =t's ''' + """say "hi" """ + '' + ""
s4 = 'a' 'b' "c"
